import { repair } from '../../db/migrate.js';
import type { Context } from '../context.js';
import { dbTarget, lockTimeout, refuseForPrisma } from './db-common.js';

export async function run(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  await refuseForPrisma(ctx, 'tm db repair');
  const changes = await repair(await ctx.config(), await dbTarget(ctx, opts), { lockTimeoutMs: lockTimeout(opts), signal: ctx.signal });
  for (const c of changes) ctx.out.warn(`repair: ${c.version}_${c.name}: ${c.change}`);
  ctx.out.result({ changes }, () => (changes.length ? `${changes.length} history entr${changes.length > 1 ? 'ies' : 'y'} repaired` : 'nothing to repair'));
}
