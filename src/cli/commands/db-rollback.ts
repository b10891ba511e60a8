import { openMigrations } from '../../db/migrations/layouts.js';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';
import { dbTarget, lockTimeout } from './db-common.js';

export async function run(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const migrations = await openMigrations(await ctx.config());
  if (!migrations.rollback) throw migrations.unsupported('rollback', 'tm db rollback');
  const steps = opts.steps === undefined ? undefined : Number(opts.steps);
  if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) {
    throw new TmError('TM_USAGE', `--steps: "${String(opts.steps)}" is not a positive number`, { exit: EXIT.usage, hint: 'e.g. --steps 2' });
  }
  if (steps !== undefined && opts.to !== undefined) {
    throw new TmError('TM_USAGE', '--steps and --to cannot be used together', { exit: EXIT.usage, hint: 'pick one' });
  }
  const done = await migrations.rollback(await dbTarget(ctx, opts), {
    steps,
    to: opts.to as string | undefined,
    lockTimeoutMs: lockTimeout(opts),
    signal: ctx.signal,
    onFile: (name) => ctx.out.info(`${ctx.out.ce.yellow('↩')} ${name}`),
  });
  ctx.out.result({ rolled_back: done }, () =>
    done.length === 0 ? 'nothing to roll back' : `rolled back ${done.length} migration${done.length > 1 ? 's' : ''}`,
  );
}
