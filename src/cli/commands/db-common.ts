import { resolveDatabase, type DatabaseTarget } from '../../db/connect.js';
import { urlPassword } from '../../env/mask.js';
import { parseDuration } from '../../util/duration.js';
import type { Context } from '../context.js';

/** The database a `tm db` command talks to, with its password registered as a secret. */
export async function dbTarget(ctx: Context, opts: Record<string, unknown>): Promise<DatabaseTarget> {
  const url = opts.databaseUrl as string | undefined;
  if (url) ctx.out.addSecret(urlPassword(url));
  const target = await resolveDatabase(await ctx.config(), url);
  ctx.out.addSecret(target.conn.config.password as string | undefined);
  for (const note of target.conn.notes) ctx.out.warn(note);
  ctx.out.debug(`database: ${target.source}`);
  return target;
}

export function lockTimeout(opts: Record<string, unknown>): number {
  return parseDuration(String(opts.lockTimeout ?? '10s'), '--lock-timeout');
}
