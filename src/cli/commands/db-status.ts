import { migrationStatus } from '../../db/migrate.js';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';
import { renderTable } from '../table.js';
import { dbTarget } from './db-common.js';

export async function run(ctx: Context, opts: Record<string, unknown>): Promise<void> {
  const rows = await migrationStatus(await ctx.config(), await dbTarget(ctx, opts));
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
      hint: 'tm db migrate',
    });
  }
}
