import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/load.js';
import { EXIT, TmError } from '../errors.js';
import type { InitResult } from './init.js';
import { checkProjectEnv, type EnvCheckOptions } from './check.js';

/** Creates `.env` when a project with a contract has none (the first `tm up` of a fresh clone). */
export async function createEnvIfMissing(config: Config): Promise<InitResult | undefined> {
  if (Object.keys(config.env).length === 0) return undefined;
  const exists = await access(join(config.root, '.env')).then(
    () => true,
    () => false,
  );
  if (exists) return undefined;
  // Lazy: writing .env loads the config loader (yaml, zod), which every tm up after the first never needs.
  const { initEnv } = await import('./init.js');
  return initEnv(config);
}

/** Refuses (exit 3) when the environment does not match the contract. */
export async function assertEnvValid(config: Config, opts: EnvCheckOptions = {}): Promise<void> {
  if (Object.keys(config.env).length === 0) return;
  const problems = (await checkProjectEnv(config, process.env, opts)).problems.filter((p) => p.path !== undefined);
  if (problems.length === 0) return;
  throw new TmError(
    'TM_ENV_INVALID',
    `the environment does not match the contract in taskmaster.yml (${problems.length} problem${problems.length > 1 ? 's' : ''}); nothing was started`,
    {
      exit: EXIT.config,
      problems,
      hint: 'tm env check lists them; tm env init --merge adds missing keys',
    },
  );
}
