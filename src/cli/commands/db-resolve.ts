import { openMigrations } from '../../db/migrations/layouts.js';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';
import { dbTarget, lockTimeout } from './db-common.js';

export async function run(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const migrations = await openMigrations(await ctx.config());
  if (!migrations.resolve) throw migrations.unsupported('resolve', 'tm db resolve');
  const applied = opts.applied as string | undefined;
  const rolledBack = opts.rolledBack as string | undefined;
  if (Boolean(applied) === Boolean(rolledBack)) {
    throw new TmError('TM_USAGE', 'give exactly one of --applied NAME or --rolled-back NAME', {
      exit: EXIT.usage,
      hint: 'e.g. tm db resolve --rolled-back 20240101120000_init',
    });
  }
  const action = applied ? { applied } : { rolledBack: rolledBack! };
  const message = await migrations.resolve(await dbTarget(ctx, opts), action, { lockTimeoutMs: lockTimeout(opts), signal: ctx.signal });
  ctx.out.result({ resolved: applied ?? rolledBack, as: applied ? 'applied' : 'rolled-back' }, () => message);
}
