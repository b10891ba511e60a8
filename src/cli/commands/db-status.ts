import { openMigrations } from '../../db/migrations/layouts.js';
import type { StatusCell, StatusReport } from '../../db/migrations/types.js';
import type { Context } from '../context.js';
import { renderTable } from '../table.js';
import { type DbFlags, dbTarget } from './db-common.js';

/** The options of `tm db status`. */
export type StatusFlags = DbFlags & { exitCode?: boolean; strict?: boolean };

export async function run(ctx: Context, opts: StatusFlags): Promise<void> {
  const migrations = await openMigrations(await ctx.config());
  const report = await migrations.status(await dbTarget(ctx, opts));
  for (const w of report.warnings) ctx.out.warn(w);
  ctx.out.result(report.json, () => renderStatus(ctx, report));
  const failed = report.verdict({ exitCode: Boolean(opts.exitCode), strict: Boolean(opts.strict) });
  if (failed) throw failed;
}

function renderStatus(ctx: Context, report: StatusReport): string {
  const { c } = ctx.out;
  const colour = (s: string) => (s === 'applied' ? c.green(s) : s === 'pending' ? c.yellow(s) : c.red(s));
  const tone = { warn: c.yellow, dim: c.dim };
  const cell = (x: StatusCell) => (typeof x === 'string' ? x : colour(x.state) + (x.notes ?? []).map((n) => tone[n.tone](n.text)).join(''));
  const table = report.table.rows.length
    ? renderTable(
        report.table.head,
        report.table.rows.map((r) => r.map(cell)),
      )
    : 'no migrations';
  return `${table}\n\n${report.summary}`;
}
