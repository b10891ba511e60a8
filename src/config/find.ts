import { readFileSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { EXIT, TmError } from '../errors.js';

// Finding taskmaster.yml needs none of the parser, so commands that hit the config cache
// (src/config/cache.ts) never load yaml or zod.

export const CONFIG_NAMES = ['taskmaster.yml', 'taskmaster.yaml'] as const;

export interface LoadOptions {
  /** Directory to start from (default: process.cwd()). */
  cwd?: string;
  /** Explicit config file, relative to cwd. */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
}

/** Finds taskmaster.yml by walking up from `cwd`, unless a path is given. */
export async function findConfig(opts: LoadOptions = {}): Promise<string> {
  const cwd = resolve(opts.cwd ?? process.cwd());
  if (opts.configPath) {
    const file = resolve(cwd, opts.configPath);
    if (!(await isFile(file))) {
      throw new TmError('TM_CONFIG_NOT_FOUND', `config file ${opts.configPath} does not exist`, {
        exit: EXIT.config,
        hint: 'check the --config path, or run tm init to create taskmaster.yml',
      });
    }
    return file;
  }
  for (let dir = cwd; ; dir = dirname(dir)) {
    for (const name of CONFIG_NAMES) {
      const file = join(dir, name);
      if (await isFile(file)) return file;
    }
    if (dirname(dir) === dir) break;
  }
  throw new TmError('TM_CONFIG_NOT_FOUND', `no taskmaster.yml in ${cwd} or any parent directory`, {
    exit: EXIT.config,
    hint: 'run tm init to create one, or pass -C DIR / --config FILE',
  });
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The most of taskmaster.yml tm reads: a project's is a few kilobytes, and parsing, validating
 * and locating problems in an endless one must not take minutes and gigabytes.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;

/** The text of taskmaster.yml, refused (exit 3) before it is read when it is larger than MAX_CONFIG_BYTES. */
export function readConfigText(file: string): string {
  const size = statSync(file).size;
  if (size > MAX_CONFIG_BYTES) throw configTooLarge(file, size);
  return readFileSync(file, 'utf8');
}

export function configTooLarge(file: string, size: number): TmError {
  return new TmError('TM_CONFIG_TOO_LARGE', `${file} is ${Math.ceil(size / 1024)} KiB; tm reads at most ${MAX_CONFIG_BYTES / 1024} KiB of it`, {
    exit: EXIT.config,
    hint: 'a taskmaster.yml is a few kilobytes: check what wrote this one (tm init writes a fresh one)',
  });
}
