import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config/load.js';

/** Where the `postgres` user keeps data it cannot keep inside the project (tm running as root). */
export const EXTERNAL_DATA_ROOT = '/var/lib/taskmaster';

/** Where the native runtime keeps a project's state: all under `.taskmaster/`. */
export interface NativePaths {
  /** The project directory. */
  root: string;
  state: string;
  pidFile(service: string): string;
  logFile(service: string): string;
  dataDir(service: string): string;
  /** Outside the project, for a data directory the `postgres` user cannot reach inside it. */
  externalDataDir(service: string): string;
  /**
   * Unix sockets are limited to ~107 bytes, so they live in a short directory: a new one
   * (mkdtemp) named `<socketPrefix>XXXXXX` at each start, so nobody can make it beforehand.
   */
  socketPrefix: string;
}

export function nativePaths(config: Pick<Config, 'root' | 'projectId'>): NativePaths {
  const state = join(config.root, '.taskmaster');
  const short = createHash('sha256').update(config.projectId).digest('hex').slice(0, 10);
  return {
    root: config.root,
    state,
    pidFile: (s) => join(state, 'run', `${s}.pid`),
    logFile: (s) => join(state, 'logs', `${s}.log`),
    dataDir: (s) => join(state, 'data', s),
    externalDataDir: (s) => join(EXTERNAL_DATA_ROOT, config.projectId, s),
    socketPrefix: join(process.platform === 'darwin' ? '/tmp' : tmpdir(), `tm-${short}-`),
  };
}
