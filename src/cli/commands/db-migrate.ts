import { migrate } from '../../db/migrations/sql/runner.js';
import { detectPrisma, prismaMigrate } from '../../db/migrations/prisma.js';
import { EXIT, TmError } from '../../errors.js';
import { formatDuration } from '../../util/duration.js';
import type { Context } from '../context.js';
import { dbTarget, lockTimeout } from './db-common.js';

export async function run(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const config = await ctx.config();
  const target = await dbTarget(ctx, opts);
  const done = (name: string, ms: number) => ctx.out.info(`${ctx.out.ce.green('✓')} ${name} ${ctx.out.ce.dim(`(${formatDuration(ms)})`)}`);
  const prisma = await detectPrisma(config);
  if (prisma) {
    if (opts.allowOutOfOrder) {
      throw new TmError('TM_USAGE', '--allow-out-of-order is for SQL migrations; this project keeps its migrations in Prisma folders', {
        exit: EXIT.usage,
        hint: 'drop it: Prisma migrations apply every pending folder in name order, older ones included, as prisma migrate deploy does',
      });
    }
    const result = await prismaMigrate(config, prisma, target, {
      lockTimeoutMs: lockTimeout(opts),
      signal: ctx.signal,
      strict: Boolean(opts.strict),
      dryRun: Boolean(opts.dryRun),
      to: opts.to as string | undefined,
      onFile: done,
    });
    for (const name of result.modified) ctx.out.warn(`${name} was modified after it was applied (prisma migrate deploy warns too; --strict refuses)`);
    ctx.out.result(result, () =>
      result.dry_run
        ? result.dry_run.map((m) => `-- ${m.path}\n${m.sql}\n`).join('\n') || '-- nothing to apply'
        : result.applied.length === 0
          ? 'database is up to date'
          : `applied ${result.applied.length} Prisma migration${result.applied.length > 1 ? 's' : ''}`,
    );
    return;
  }
  if (opts.allowOutOfOrder) ctx.out.warn('--allow-out-of-order: files older than the newest applied migration will be applied');
  const result = await migrate(config, target, {
    to: opts.to as string | undefined,
    dryRun: Boolean(opts.dryRun),
    allowOutOfOrder: Boolean(opts.allowOutOfOrder),
    lockTimeoutMs: lockTimeout(opts),
    signal: ctx.signal,
    onFile: (f, ms) => done(`${f.version}_${f.name}`, ms),
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
