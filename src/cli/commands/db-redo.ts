import { openMigrations } from '../../db/migrations/layouts.js';
import type { Context } from '../context.js';
import { dbTarget, lockTimeout } from './db-common.js';

export async function run(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const migrations = await openMigrations(await ctx.config());
  if (!migrations.redo) throw migrations.unsupported('redo', 'tm db redo');
  const done = await migrations.redo(await dbTarget(ctx, opts), { lockTimeoutMs: lockTimeout(opts), signal: ctx.signal });
  ctx.out.result({ redone: done }, () => done.map((f) => `redone ${f.version}_${f.name}`).join('\n'));
}
