import type { Config } from '../config/load.js';
import type { DatabaseTarget } from '../db/connect.js';
import type { EnvState } from '../env/resolve.js';
import type { TmError } from '../errors.js';

/** `skip`: not checked at all (the config does not load); counted neither way. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** What one check found; `fix` is the exact command or edit, for every problem. */
export interface Finding {
  id: string;
  title: string;
  status: CheckStatus;
  /** What it is about (a service or variable name): how --fix tells a problem in the re-check is the one it repaired. */
  subject?: string;
  detail: string;
  fix?: string;
  /** Set when `--fix` repaired it and the check passes afterwards. */
  fixed?: string;
  /** What `--fix` did (or why it could not) when the problem is still there afterwards. */
  attempted?: string;
}

export interface DoctorContext {
  cwd: string;
  configPath?: string;
  /** The loaded config, or why it could not be loaded. */
  config?: Config;
  configError?: TmError;
  /** Loads the config again (after a repair edited taskmaster.yml or .env). */
  reloadConfig?: () => Promise<Config>;
  env: NodeJS.ProcessEnv;
  /** The project's variables (contract, env files, environment), read once for all checks of a config. */
  projectEnv(): Promise<EnvState>;
  /** The database `tm db` would use, or none, resolved once for all checks of a config. */
  database(): Promise<DatabaseTarget | undefined>;
  /** How long one connection or probe may take: the check's own limit, less a moment to report. */
  attemptMs: number;
}

/** One diagnosis: returns findings (several for per-service checks). */
export interface Check {
  id: string;
  title: string;
  /** Needs a valid config (skipped without one). */
  needsConfig?: boolean;
  /** Talks to the services: a hang there means something holds a port without answering. */
  hangsOn?: 'services';
  run(ctx: DoctorContext): Promise<Omit<Finding, 'id' | 'title'> | Omit<Finding, 'id' | 'title'>[]>;
  /** Repairs what is safe to repair; returns what it did. */
  fix?(ctx: DoctorContext, finding: Finding): Promise<string | undefined>;
}
