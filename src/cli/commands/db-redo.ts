import { redo } from '../../db/migrations/sql/runner.js';
import type { Context } from '../context.js';
import { dbTarget, lockTimeout, refuseForPrisma } from './db-common.js';

export async function run(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  await refuseForPrisma(ctx, 'tm db redo');
  const done = await redo(await ctx.config(), await dbTarget(ctx, opts), { lockTimeoutMs: lockTimeout(opts), signal: ctx.signal });
  ctx.out.result({ redone: done }, () => done.map((f) => `redone ${f.version}_${f.name}`).join('\n'));
}
