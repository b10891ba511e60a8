import { openMigrations, takeoverLine } from '../../db/migrations/layouts.js';
import { formatDuration } from '../../util/duration.js';
import type { Context } from '../context.js';
import { type DbFlags, dbTarget, type LockFlags } from './db-common.js';

/** The options of `tm db migrate`. */
export type MigrateFlags = DbFlags & LockFlags & { to?: string; dryRun?: boolean; allowOutOfOrder?: boolean; strict?: boolean };

export async function run(ctx: Context, opts: MigrateFlags): Promise<void> {
  const config = await ctx.config();
  const target = await dbTarget(ctx, opts);
  const migrations = await openMigrations(config);
  if (opts.allowOutOfOrder) {
    if (!migrations.outOfOrder) throw migrations.unsupported('outOfOrder', '--allow-out-of-order');
    ctx.out.warn('--allow-out-of-order: files older than the newest applied migration will be applied');
  }
  const result = await migrations.migrate(target, {
    to: opts.to,
    dryRun: Boolean(opts.dryRun),
    allowOutOfOrder: Boolean(opts.allowOutOfOrder),
    strict: Boolean(opts.strict),
    lockTimeoutMs: opts.lockTimeout.ms,
    signal: ctx.signal,
    onFile: (name, ms) => ctx.out.info(`${ctx.out.ce.green('✓')} ${name} ${ctx.out.ce.dim(`(${formatDuration(ms)})`)}`),
    onWarning: (m) => ctx.out.warn(m),
    onTakeover: (t) => ctx.out.info(takeoverLine(t, 'done')),
  });
  ctx.out.result(result, () => {
    if (result.dry_run) {
      const takeover = result.takeover ? `-- ${takeoverLine(result.takeover, 'dry run')}\n\n` : '';
      return takeover + (result.dry_run.map((m) => `-- ${m.path}\n${m.sql}\n`).join('\n') || '-- nothing to apply');
    }
    const n = result.applied.length;
    return n === 0 ? 'database is up to date' : `applied ${n} ${migrations.noun}${n > 1 ? 's' : ''}`;
  });
}
