import { migrate } from '../../db/migrate.js';
import { formatDuration } from '../../util/duration.js';
import type { Context } from '../context.js';
import { dbTarget, lockTimeout } from './db-common.js';

export async function run(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const config = await ctx.config();
  const target = await dbTarget(ctx, opts);
  if (opts.allowOutOfOrder) ctx.out.warn('--allow-out-of-order: files older than the newest applied migration will be applied');
  const result = await migrate(config, target, {
    to: opts.to as string | undefined,
    dryRun: Boolean(opts.dryRun),
    allowOutOfOrder: Boolean(opts.allowOutOfOrder),
    lockTimeoutMs: lockTimeout(opts),
    signal: ctx.signal,
    onFile: (f, ms) => ctx.out.info(`${ctx.out.ce.green('✓')} ${f.version}_${f.name} ${ctx.out.ce.dim(`(${formatDuration(ms)})`)}`),
  });
  ctx.out.result(result, () => {
    if (result.dry_run) {
      if (result.dry_run.length === 0) return '-- nothing to apply';
      return result.dry_run.map((m) => `-- ${m.path}\n${m.sql}\n`).join('\n');
    }
    const n = result.applied.length;
    return n === 0 ? 'database is up to date' : `applied ${n} migration${n > 1 ? 's' : ''}`;
  });
}
