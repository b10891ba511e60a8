import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { findConfig, type LoadOptions } from './find.js';
import type { Config } from './load.js';

// The validated config of the last command, keyed by everything loadConfig reads: the
// bytes of taskmaster.yml and the env files, the values of the variables taskmaster.yml
// interpolates, the working directory (messages name files relative to it) and tm's own
// build. A hit skips the YAML parser and zod (~25 ms of every command); any change to an
// input is a different key, so a stale config is never used. Kept under .taskmaster/ (mode
// 0600: it holds interpolated passwords, as .env does), only once that directory exists.

declare const __TM_BUILD__: string | undefined;
const BUILD = typeof __TM_BUILD__ === 'string' ? __TM_BUILD__ : 'source';
const ENV_FILES = ['.env', '.env.local'];
const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)/g;

interface Entry {
  key: string;
  config: Config;
}

/** loadConfig, through the cache. */
export async function loadConfigCached(opts: LoadOptions = {}): Promise<Config> {
  const file = await findConfig(opts);
  const root = dirname(file);
  const source = readFileSync(file, 'utf8');
  const envTexts = ENV_FILES.map((name) => readOrNull(join(root, name)));
  const env = opts.env ?? process.env;
  const names = [...new Set(Array.from(source.matchAll(REF), (m) => m[1]!))].sort();
  const key = createHash('sha256')
    .update(JSON.stringify([BUILD, file, resolve(opts.cwd ?? process.cwd()), source, envTexts, names.map((n) => [n, env[n] ?? null])]))
    .digest('hex');
  const state = join(root, '.taskmaster');
  const cacheFile = join(state, 'cache', 'config.json');
  const cached = readEntry(cacheFile);
  if (cached?.key === key) return cached.config;

  const { loadConfigFrom } = await import('./load.js');
  const config = loadConfigFrom(file, source, envTexts, opts);
  if (existsSync(state)) writeEntry(cacheFile, { key, config });
  return config;
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function readEntry(file: string): Entry | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Entry;
  } catch {
    return undefined;
  }
}

/** Atomic (temp file + rename); a cache that cannot be written is only a slower next run. */
function writeEntry(file: string, entry: Entry): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // read-only checkout, full disk: nothing to do
  }
}
