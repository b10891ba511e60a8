import { resolveDatabase, type DatabaseTarget } from '../../db/connect.js';
import { urlPassword } from '../../env/mask.js';
import { parseDuration } from '../../util/duration.js';
import { requireOwnPorts } from '../../stack/claim.js';
import type { Context } from '../context.js';

/** The database a `tm db` command talks to, with its password registered as a secret. */
export async function dbTarget(ctx: Context, opts: Record<string, unknown>): Promise<DatabaseTarget> {
  const url = opts.databaseUrl as string | undefined;
  if (url) ctx.out.addSecret(urlPassword(url));
  const config = await ctx.config();
  const target = await resolveDatabase(config, url);
  // The URL of services.postgres in a stack not up yet is another stack's database.
  if (target.source.startsWith('services.')) requireOwnPorts(config, 'tm db');
  ctx.out.addSecret(target.conn.config.password as string | undefined);
  for (const note of target.conn.notes) ctx.out.warn(note);
  ctx.out.debug(`database: ${target.source}`);
  return target;
}

export function lockTimeout(opts: Record<string, unknown>): number {
  return parseDuration(String(opts.lockTimeout ?? '10s'), '--lock-timeout');
}
