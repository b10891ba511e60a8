import type { Config } from '../config/load.js';
import type { TmError } from '../errors.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** What one check found; `fix` is the exact command or edit, for every problem. */
export interface Finding {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
  /** Set when `--fix` repaired it. */
  fixed?: string;
}

export interface DoctorContext {
  cwd: string;
  configPath?: string;
  /** The loaded config, or why it could not be loaded. */
  config?: Config;
  configError?: TmError;
  env: NodeJS.ProcessEnv;
  /** Abort when the check's time is up. */
  signal: AbortSignal;
}

/** One diagnosis: returns findings (several for per-service checks). */
export interface Check {
  id: string;
  title: string;
  /** Needs a valid config (skipped, as ok, without one). */
  needsConfig?: boolean;
  run(ctx: DoctorContext): Promise<Omit<Finding, 'id' | 'title'> | Omit<Finding, 'id' | 'title'>[]>;
  /** Repairs what is safe to repair; returns what it did. */
  fix?(ctx: DoctorContext, finding: Finding): Promise<string | undefined>;
}
