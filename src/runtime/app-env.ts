import type { Config } from '../config/load.js';
import type { AppService } from '../config/schema.js';
import { exportedVariables, localService, toNetworkUrl } from '../config/services.js';
import { resolveEnv } from '../env/resolve.js';
import { followBranch } from '../config/branch.js';

/**
 * The environment an app service gets: the env contract's values (files and defaults), the
 * variables the project's services give (DATABASE_URL, REDIS_URL, AMQP_URL...) when not set,
 * PORT, then the service's own `env:`. In containers, URLs that point at a published port on
 * this machine are rewritten to the service's name and container port inside the compose network.
 */
export async function appEnvironment(config: Config, svc: AppService, opts: { inContainer?: boolean } = {}): Promise<Record<string, string>> {
  const state = await resolveEnv(config.root, config.env);
  const env: Record<string, string> = {};
  // A URL of the env files that tm wrote follows the branch's database (db.branches).
  for (const v of state.vars.values()) if (v.value !== undefined) env[v.key] = v.source === 'file' ? followBranch(config, v.value) : v.value;
  for (const [key, { value }] of exportedVariables(config.services, true)) if (!env[key]) env[key] = value;
  if (svc.port !== undefined && !env.PORT) env.PORT = String(svc.port);
  Object.assign(env, svc.env);
  if (opts.inContainer) {
    for (const [key, value] of Object.entries(env)) {
      const target = localService(config.services, value);
      if (target) env[key] = toNetworkUrl(value, target);
    }
    if (svc.port !== undefined) env.PORT = String(svc.port);
  }
  return env;
}
