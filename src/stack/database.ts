import type { Config } from '../config/load.js';
import type { PostgresService } from '../config/schema.js';
import { serviceUrl } from '../config/services.js';
import { type DatabaseTarget, resolveDatabase } from '../db/connect.js';
import { isTmError } from '../errors.js';

/**
 * The database of the project's own Postgres service, which `tm up` migrates (never the test
 * database): the branch's with db.branches, the configured one (the default branch's) with
 * `configured`.
 */
export function serviceDatabase(config: Config, only?: string[], opts: { configured?: boolean } = {}): DatabaseTarget | undefined {
  const pg = config.services.find((s): s is PostgresService => s.kind === 'postgres' && !s.testOf && (!only || only.includes(s.name)));
  if (!pg) return undefined;
  return { url: serviceUrl(opts.configured ? { ...pg, branchDatabase: undefined } : pg, true)!, source: `services.${pg.name}` };
}

/**
 * The database `tm db` would talk to (DIRECT_URL, DATABASE_URL, then services.postgres), or
 * undefined when the project has none: for steps that have nothing to do without one.
 */
export async function optionalDatabase(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<DatabaseTarget | undefined> {
  return resolveDatabase(config, undefined, env).catch((err: unknown) => {
    if (isTmError(err) && err.code === 'TM_NO_DATABASE') return undefined;
    throw err;
  });
}
