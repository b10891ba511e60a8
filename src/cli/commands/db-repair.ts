import { openMigrations } from '../../db/migrations/layouts.js';
import type { Context } from '../context.js';
import { type DbFlags, dbTarget, type LockFlags } from './db-common.js';

/** The options of `tm db repair`. */
export type RepairFlags = DbFlags & LockFlags & { dryRun?: boolean };

export async function run(ctx: Context, opts: RepairFlags, args: string[]): Promise<void> {
  const migrations = await openMigrations(await ctx.config());
  if (!migrations.repair) throw migrations.unsupported('repair', 'tm db repair');
  const dryRun = Boolean(opts.dryRun);
  const changes = await migrations.repair(await dbTarget(ctx, opts), { version: args[0], dryRun, lockTimeoutMs: opts.lockTimeout.ms, signal: ctx.signal });
  const verb = dryRun ? 'would repair' : 'repaired';
  for (const c of changes) {
    const sums = c.from ? ` (sha256 ${c.from.slice(0, 12)}… → ${c.to!.slice(0, 12)}…)` : '';
    ctx.out.warn(`${verb} ${c.version}_${c.name}: ${c.change}${sums}`);
  }
  const n = changes.length;
  ctx.out.result({ dry_run: dryRun, changes }, () =>
    n === 0
      ? 'nothing to repair'
      : `${n} history entr${n > 1 ? 'ies' : 'y'} ${dryRun ? 'would be repaired (nothing changed; run without --dry-run to do it)' : 'repaired'}`,
  );
}
