import { openMigrations } from '../../db/migrations/layouts.js';
import type { StatusCell, StatusReport } from '../../db/migrations/types.js';
import { connectionOf } from '../../db/connect.js';
import { type Divergence, divergence } from '../../db/migrations/divergence.js';
import type { Context } from '../context.js';
import { renderTable } from '../table.js';
import { type DbFlags, dbTarget } from './db-common.js';

/** The options of `tm db status`. */
export type StatusFlags = DbFlags & { exitCode?: boolean; strict?: boolean };

export async function run(ctx: Context, opts: StatusFlags): Promise<void> {
  const config = await ctx.config();
  const migrations = await openMigrations(config);
  const target = await dbTarget(ctx, opts);
  const report = await migrations.status(target);
  for (const w of report.warnings) ctx.out.warn(w);
  const database = connectionOf(target).database;
  const diverged = divergence(report, { branches: Boolean(config.branch), branch: config.branch?.branch, database });
  ctx.out.result({ ...report.json, database, ...(config.branch ? { branch: config.branch.branch ?? null } : {}), diverged: diverged ?? null }, () =>
    [renderStatus(ctx, report), diverged && renderDivergence(ctx, diverged)].filter(Boolean).join('\n\n'),
  );
  const failed = report.verdict({ exitCode: Boolean(opts.exitCode), strict: Boolean(opts.strict) });
  if (failed) throw failed;
}

function renderDivergence(ctx: Context, d: Divergence): string {
  const { c } = ctx.out;
  const lines = d.files.map((f) => `  ${f.path ?? [f.version, f.name].filter(Boolean).join('_')}: ${f.why}`);
  return [c.yellow("the database's applied history is not a prefix of this checkout's migrations:"), ...lines, `fix: ${d.fix}`].join('\n');
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
