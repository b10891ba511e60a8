import { waitForDatabase } from '../../db/wait.js';
import type { Context } from '../context.js';
import type { Duration } from '../options.js';
import { type DbFlags, dbTarget } from './db-common.js';

/** The options of `tm db wait`. */
export type WaitFlags = DbFlags & { timeout: Duration };

export async function run(ctx: Context, opts: WaitFlags): Promise<void> {
  // The server may not be up yet: the branch's database is made by the next command that uses it.
  const target = await dbTarget(ctx, opts, 'later');
  const timeoutMs = opts.timeout.ms;
  const r = await ctx.out.step(`waiting for the database (${target.source})`, () => waitForDatabase(target, timeoutMs, ctx.signal));
  ctx.out.result({ status: 'ok', waited_ms: Math.round(r.elapsedMs), attempts: r.attempts }, () => `database is accepting connections`);
}
