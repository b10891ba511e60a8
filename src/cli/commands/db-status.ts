import { migrationStatus } from '../../db/migrations/sql/runner.js';
import { detectPrisma, prismaStatus, type PrismaStatus } from '../../db/migrations/prisma.js';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';
import { renderTable } from '../table.js';
import { dbTarget } from './db-common.js';

export async function run(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const config = await ctx.config();
  const prisma = await detectPrisma(config);
  if (prisma) return prismaStatusCommand(ctx, opts, await prismaStatus(config, prisma, await dbTarget(ctx, opts)));
  const rows = await migrationStatus(config, await dbTarget(ctx, opts));
  const count = (state: string) => rows.filter((r) => r.state === state).length;
  const summary = { applied: count('applied'), pending: count('pending') + count('out-of-order'), edited: count('edited'), missing: count('missing') };
  ctx.out.result({ ...summary, migrations: rows }, () => {
    const { c } = ctx.out;
    const colour = (s: string) => (s === 'applied' ? c.green(s) : s === 'pending' ? c.yellow(s) : c.red(s));
    const table = rows.length ? renderTable(['version', 'name', 'state', 'applied at'], rows.map((r) => [r.version, r.name, colour(r.state), r.applied_at ?? ''])) : 'no migrations';
    return `${table}\n\n${summary.applied} applied, ${summary.pending} pending${summary.edited ? `, ${summary.edited} edited` : ''}${summary.missing ? `, ${summary.missing} missing` : ''}`;
  });
  if (opts.exitCode && summary.pending + summary.edited + summary.missing > 0) {
    throw new TmError('TM_MIGRATIONS_PENDING', `${summary.pending} pending migration${summary.pending === 1 ? '' : 's'}${summary.edited + summary.missing ? ' and history problems' : ''}`, {
      exit: EXIT.problems,
      hint: statusHint(summary.edited + summary.missing > 0, count('out-of-order') > 0),
    });
  }
}

/** tm db migrate refuses edited, missing and out-of-order files: point at what unblocks it. */
function statusHint(broken: boolean, outOfOrder: boolean): string {
  const steps = [
    broken ? 'restore the edited or missing files (git checkout), or accept them with tm db repair' : '',
    outOfOrder ? 'give the out-of-order file a newer version (tm db new), or apply it with tm db migrate --allow-out-of-order' : '',
  ].filter(Boolean);
  return steps.length ? `${steps.join('; ')}; then tm db migrate` : 'tm db migrate';
}

function prismaStatusCommand(ctx: Context, opts: Record<string, unknown>, rows: PrismaStatus[]): void {
  const count = (state: string) => rows.filter((r) => r.state === state).length;
  const modified = rows.filter((r) => r.modified).map((r) => r.name);
  const summary = { applied: count('applied'), pending: count('pending'), failed: count('failed'), modified: modified.length };
  for (const name of modified) ctx.out.warn(`${name} was modified after it was applied`);
  ctx.out.result({ kind: 'prisma', ...summary, migrations: rows }, () => {
    const { c } = ctx.out;
    const colour = (s: string) => (s === 'applied' ? c.green(s) : s === 'pending' ? c.yellow(s) : c.red(s));
    const table = rows.length
      ? renderTable(['migration', 'state', 'finished at'], rows.map((r) => [r.name, colour(r.state) + (r.modified ? c.yellow(' (modified)') : '') + (r.missing_locally ? c.dim(' (no folder here)') : ''), r.finished_at ?? '']))
      : 'no migrations';
    return `${table}\n\n${summary.applied} applied, ${summary.pending} pending${summary.failed ? `, ${summary.failed} failed` : ''}`;
  });
  const problems = summary.pending + summary.failed + (opts.strict ? summary.modified : 0);
  if (opts.exitCode && problems > 0) {
    throw new TmError('TM_MIGRATIONS_PENDING', `${summary.pending} pending, ${summary.failed} failed${opts.strict ? `, ${summary.modified} modified` : ''}`, {
      exit: EXIT.problems,
      hint: summary.failed ? 'tm db resolve' : 'tm db migrate',
    });
  }
  if (opts.strict && summary.modified > 0 && !opts.exitCode) {
    throw new TmError('TM_PRISMA_MODIFIED', `${summary.modified} applied migration(s) modified after being applied`, { exit: EXIT.migration, hint: 'restore them as they were applied' });
  }
}
