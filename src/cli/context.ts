import { resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { formatProblem } from '../errors.js';
import type { Reporter } from './output.js';

/** Flags every command accepts. */
export interface GlobalOptions {
  json: boolean;
  color: boolean;
  verbose: boolean;
  yes: boolean;
  cwd?: string;
  config?: string;
}

/** What a command gets: the reporter, the global flags, the project config on demand. */
export interface Context {
  out: Reporter;
  globals: GlobalOptions;
  /** Aborted on SIGINT/SIGTERM for commands that clean up after themselves. */
  signal: AbortSignal;
  cwd: string;
  /** `quiet`: do not print the config's warnings (the caller does, once .env may have changed). */
  config(opts?: { quiet?: boolean }): Promise<Config>;
  /** Loads the config again (after `.env` or the stack's ports changed). */
  reloadConfig(opts?: { quiet?: boolean }): Promise<Config>;
  /** Runs `work` (a program on this terminal) with Ctrl-C left to that program: tm does not abort meanwhile. */
  handOver<T>(work: () => Promise<T>): Promise<T>;
}

export function createContext(out: Reporter, globals: GlobalOptions, signal: AbortSignal, handOver: <T>(work: () => Promise<T>) => Promise<T>): Context {
  let loaded: Promise<Config> | undefined;
  const cwd = resolve(globals.cwd ?? process.cwd());
  return {
    out,
    globals,
    signal,
    cwd,
    handOver,
    config(opts = {}) {
      loaded ??= (async () => {
        // Lazy: main.ts loads this file for tm --help too, which must not load the config's modules (dotenv).
        const { loadProject } = await import('../config/cache.js');
        const { config, secrets, secretWarnings } = await loadProject({ cwd, configPath: globals.config });
        for (const s of secrets) out.addSecret(s);
        if (!opts.quiet) for (const w of [...config.warnings, ...secretWarnings]) out.warn(formatProblem(w));
        return config;
      })();
      return loaded;
    },
    reloadConfig(opts = {}) {
      loaded = undefined;
      return this.config(opts);
    },
  };
}
