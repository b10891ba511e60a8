import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** Where tm keeps what it downloads for this user: `$XDG_CACHE_HOME/taskmaster`, else `~/.cache/taskmaster`. */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  // The XDG spec ignores a relative value.
  const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'taskmaster');
}

/**
 * Where root's downloads go when the account a server runs as cannot reach root's own cache
 * (`/root` is closed to others): a system-wide cache.
 */
export const SYSTEM_CACHE_DIR = '/var/cache/taskmaster';
