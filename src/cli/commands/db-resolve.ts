import { openMigrations } from '../../db/migrations/layouts.js';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';
import { type DbFlags, dbTarget, type LockFlags } from './db-common.js';

/** The options of `tm db resolve`: one of --applied and --rolled-back. */
export type ResolveFlags = DbFlags & LockFlags & { applied?: string; rolledBack?: string };

export async function run(ctx: Context, opts: ResolveFlags): Promise<void> {
  const migrations = await openMigrations(await ctx.config());
  if (!migrations.resolve) throw migrations.unsupported('resolve', 'tm db resolve');
  const { applied, rolledBack } = opts;
  if (Boolean(applied) === Boolean(rolledBack)) {
    throw new TmError('TM_USAGE', 'give exactly one of --applied NAME or --rolled-back NAME', {
      exit: EXIT.usage,
      hint: 'e.g. tm db resolve --rolled-back 20240101120000_init',
    });
  }
  const action = applied ? { applied } : { rolledBack: rolledBack! };
  const message = await migrations.resolve(await dbTarget(ctx, opts), action, { lockTimeoutMs: opts.lockTimeout.ms, signal: ctx.signal });
  ctx.out.result({ resolved: applied ?? rolledBack, as: applied ? 'applied' : 'rolled-back' }, () => message);
}
