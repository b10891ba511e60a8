import { waitForDatabase } from '../../db/wait.js';
import { parseDuration } from '../../util/duration.js';
import type { Context } from '../context.js';
import { dbTarget } from './db-common.js';

export async function run(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const target = await dbTarget(ctx, opts);
  const timeoutMs = parseDuration(String(opts.timeout), '--timeout');
  const r = await ctx.out.step(`waiting for the database (${target.source})`, () => waitForDatabase(target, timeoutMs, ctx.signal));
  ctx.out.result({ status: 'ok', waited_ms: Math.round(r.elapsedMs), attempts: r.attempts }, () => `database is accepting connections`);
}
