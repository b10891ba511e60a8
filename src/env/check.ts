import type { Config } from '../config/load.js';
import type { Problem } from '../errors.js';
import { credentialProblems } from './agreement.js';
import { checkEnv } from './contract.js';
import { resolveEnv, type EnvState } from './resolve.js';

/**
 * The environment of a project checked against its contract: every problem (those without a
 * `path` are warnings about the env files), a variable that is not set pointing at its declaration.
 */
export async function checkProjectEnv(
  config: Config,
  processEnv: NodeJS.ProcessEnv = process.env,
  opts: EnvCheckOptions = {},
): Promise<{ state: EnvState; problems: Problem[] }> {
  const state = await resolveEnv(config.root, config.env, processEnv);
  return { state, problems: await envProblems(config, state, opts) };
}

export interface EnvCheckOptions {
  /**
   * The services are provided (`tm ci --external`): the URLs' credentials are the servers'
   * own, so they are not compared with taskmaster.yml's services.
   */
  external?: boolean;
}

/** The problems of an environment already resolved, placed as checkProjectEnv places them. */
export async function envProblems(config: Config, state: EnvState, opts: EnvCheckOptions = {}): Promise<Problem[]> {
  const problems = checkEnv(config.env, state);
  const disagreeing = opts.external ? [] : credentialProblems(config, state);
  // Declarations only place problems (a variable that is not set points at its line); a valid
  // environment needs no second read of taskmaster.yml, nor yaml, which the declarations load.
  if (problems.length === 0) return disagreeing;
  const { envDeclarations } = await import('./declarations.js');
  return [...checkEnv(config.env, state, await envDeclarations(config)), ...disagreeing];
}
