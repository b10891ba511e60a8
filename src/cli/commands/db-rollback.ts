import { openMigrations } from '../../db/migrations/layouts.js';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';
import { type DbFlags, dbTarget, type LockFlags } from './db-common.js';

/** The options of `tm db rollback`: --steps (a positive number, checked by program.ts) or --to. */
export type RollbackFlags = DbFlags & LockFlags & { steps?: number; to?: string };

export async function run(ctx: Context, opts: RollbackFlags): Promise<void> {
  const migrations = await openMigrations(await ctx.config());
  if (!migrations.rollback) throw migrations.unsupported('rollback', 'tm db rollback');
  const { steps, to } = opts;
  if (steps !== undefined && to !== undefined) {
    throw new TmError('TM_USAGE', '--steps and --to cannot be used together', { exit: EXIT.usage, hint: 'pick one' });
  }
  const done = await migrations.rollback(await dbTarget(ctx, opts), {
    steps,
    to,
    lockTimeoutMs: opts.lockTimeout.ms,
    signal: ctx.signal,
    onFile: (name) => ctx.out.info(`${ctx.out.ce.yellow('↩')} ${name}`),
  });
  ctx.out.result({ rolled_back: done }, () =>
    done.length === 0 ? 'nothing to roll back' : `rolled back ${done.length} migration${done.length > 1 ? 's' : ''}`,
  );
}
