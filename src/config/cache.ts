import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { insideProject } from '../util/inside.js';
import type { Problem } from '../errors.js';
import { readEnvTexts } from './env-files.js';
import { findConfig, MAX_CONFIG_BYTES, readConfigText, type LoadOptions } from './find.js';
import { resolveInit } from './init-files.js';
import type { Config } from './load.js';
import { applyStack } from './stack.js';
import { applyBranch } from './branch.js';

// The validated config of the last command, and the secret values it found for masking,
// keyed by everything they are derived from: the bytes of taskmaster.yml and the env files,
// the values of the process variables those files name (interpolation, the contract's
// variables, the env files' keys and references), the working directory (messages name
// files relative to it) and tm's own build. A hit skips the YAML parser, zod and dotenv
// (~30 ms of every command); any change to an input is a different key, so a stale entry is
// never used. Kept under .taskmaster/ (mode 0600: it holds passwords, as .env does), only once
// that directory exists.

declare const __TM_BUILD__: string | undefined;
const BUILD = typeof __TM_BUILD__ === 'string' ? __TM_BUILD__ : 'source';
const WORD = /[A-Za-z_][A-Za-z0-9_]*/g;

/** A loaded project: its config and the values that must never be printed (the services' secrets, the contract's). */
export interface Project {
  config: Config;
  secrets: string[];
  /** About those values (one too short to mask cleanly), beside the config's own warnings. */
  secretWarnings: Problem[];
}

interface Entry extends Project {
  key: string;
  /** sha256 of the stored project: a file damaged on disk (with its key intact) is a miss. */
  sum: string;
}

/** loadConfig and the project's secret values, through the cache. */
export async function loadProject(opts: LoadOptions = {}): Promise<Project> {
  const file = await findConfig(opts);
  const root = dirname(file);
  const source = readConfigText(file);
  const envTexts = readEnvTexts(root);
  const env = opts.env ?? process.env;
  // A process variable can only matter if one of the files names it.
  const words = new Set([source, ...envTexts].flatMap((t) => (t === null ? [] : (t.match(WORD) ?? []))));
  const names = Object.keys(env)
    .filter((n) => words.has(n))
    .sort();
  const key = createHash('sha256')
    .update(JSON.stringify([BUILD, file, resolve(opts.cwd ?? process.cwd()), source, envTexts, names.map((n) => [n, env[n] ?? null])]))
    .digest('hex');
  const state = join(root, '.taskmaster');
  const cacheFile = join(state, 'cache', 'config.json');
  const cached = readEntry(cacheFile);
  // The stack's ports and the git branch are applied after the cache: .taskmaster/stack.json and .git are not part of its key.
  if (cached?.key === key && initFilesStill(cached.config))
    return { config: applyBranch(applyStack(cached.config)), secrets: cached.secrets, secretWarnings: cached.secretWarnings };

  // Lazy: the loader brings yaml and zod, which a cache hit (most commands) never needs.
  const [{ loadConfigFrom }, { secretsOf }] = await Promise.all([import('./load.js'), import('../catalog/index.js')]);
  const config = loadConfigFrom(file, source, envTexts, opts);
  // Upward import: the entry keeps the secret values the env contract finds beside the config,
  // so a hit skips the contract too; the env modules load only on a miss.
  const [{ resolveEnv }, { secretValues, shortSecrets }] = await Promise.all([import('../env/resolve.js'), import('../env/secrets.js')]);
  const resolved = await resolveEnv(root, config.env, env);
  // The services' own passwords and tokens, then the contract's secret values.
  const secrets = [...config.services.flatMap(secretsOf), ...secretValues(config.env, resolved)];
  const secretWarnings = shortSecrets(config.services, config.env, resolved);
  if (existsSync(state)) writeEntry(cacheFile, { key, sum: sumOf({ config, secrets, secretWarnings }), config, secrets, secretWarnings });
  return { config: applyBranch(applyStack(config)), secrets, secretWarnings };
}

/**
 * Postgres' init files are found on disk (a folder, `dir/*.sql`), which the key does not
 * cover: looked up again, into the cached config; an entry that names nothing now is a miss,
 * so the full load reports it.
 */
function initFilesStill(config: Config): boolean {
  for (const svc of config.services) {
    if (svc.kind !== 'postgres' || svc.init.length === 0) continue;
    const init = resolveInit(config.root, svc.init);
    if (init.problems.length > 0) return false;
    svc.initFiles = init.files;
  }
  return true;
}

function sumOf(p: Project): string {
  return createHash('sha256')
    .update(JSON.stringify([p.config, p.secrets, p.secretWarnings]))
    .digest('hex');
}

/** The stored entry, if it is whole: parsable, not oversized, and matching its checksum. */
function readEntry(file: string): Entry | undefined {
  try {
    if (statSync(file).size > 16 * MAX_CONFIG_BYTES) return undefined;
    const entry = JSON.parse(readFileSync(file, 'utf8')) as Entry;
    return typeof entry?.key === 'string' && entry.sum === sumOf(entry) ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** Atomic (temp file + rename); a cache that cannot be written is only a slower next run. */
function writeEntry(file: string, entry: Entry): void {
  try {
    insideProject(dirname(dirname(dirname(file))), file);
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    rmSync(tmp, { force: true });
    // Created exclusively, so it gets this mode: it holds passwords.
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
  } catch {
    // read-only checkout, full disk, .taskmaster/ leading elsewhere: nothing to do
  }
}
