import { openMigrations } from '../../db/migrations/layouts.js';
import type { Context } from '../context.js';
import { type DbFlags, dbTarget, type LockFlags } from './db-common.js';

/** The options of `tm db redo`. */
export type RedoFlags = DbFlags & LockFlags;

export async function run(ctx: Context, opts: RedoFlags): Promise<void> {
  const migrations = await openMigrations(await ctx.config());
  if (!migrations.redo) throw migrations.unsupported('redo', 'tm db redo');
  const done = await migrations.redo(await dbTarget(ctx, opts), { lockTimeoutMs: opts.lockTimeout.ms, signal: ctx.signal });
  ctx.out.result({ redone: done }, () => done.map((f) => `redone ${f.version}_${f.name}`).join('\n'));
}
