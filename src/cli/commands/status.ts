import type { RuntimeName } from '../../config/runtime-name.js';
import { pickServices } from '../../config/services.js';
import { runtimeFor } from '../../stack/select.js';
import { serviceDatabase } from '../../stack/database.js';
import { status, type StatusRow } from '../../stack/status.js';
import { formatUptime } from '../../util/duration.js';
import { configuredPortsHolder } from '../../stack/claim.js';
import type { Context } from '../context.js';
import { describePorts, stackSummary } from '../../config/stack.js';
import { renderTable } from '../table.js';
import { openMigrations } from '../../db/migrations/layouts.js';

/** The options of `tm status`. */
export type StatusFlags = { runtime?: RuntimeName };

export async function run(ctx: Context, opts: StatusFlags, args: string[]): Promise<void> {
  const config = await ctx.config();
  const { runtime } = await runtimeFor(config, opts.runtime, 'running');
  const rows = await status(runtime, pickServices(config, args));
  const migrations = await pendingMigrations(ctx, rows);
  const stack = stackSummary(config);
  const holder = configuredPortsHolder(config);
  if (holder) ctx.out.warn(`this stack has not been up yet: taskmaster.yml's ports belong to the stack in ${holder} (tm up gives this one its own)`);
  ctx.out.result({ project: config.name, runtime: runtime.name, stack, services: rows, migrations }, () => {
    const { c } = ctx.out;
    return (
      renderTable(
        ['service', 'state', 'pid', 'port', 'health', 'uptime', 'url'],
        rows.map((r) => [
          r.name,
          r.state === 'running' ? c.green(r.state) : r.state === 'stopped' ? c.dim(r.state) : c.yellow(r.state),
          r.pid ? String(r.pid) : '',
          r.port ? String(r.port) : '',
          r.health === 'ok' ? c.green(`ok ${r.latency_ms} ms`) : r.health === 'error' ? c.red(`error: ${r.health_error}`) : c.dim(r.detail ?? ''),
          r.uptime_s !== undefined ? formatUptime(r.uptime_s) : '',
          r.url ?? '',
        ]),
      ) +
      (stack.mode === 'allocated' ? `\n\nports of this stack: ${describePorts(stack.ports)} (taskmaster.yml: ${describePorts(stack.configured)})` : '') +
      (migrations ? `\n\nmigrations: ${migrations.applied} applied, ${migrations.pending} pending` : '')
    );
  });
  for (const r of rows) if (r.detail && r.state === 'stopped') ctx.out.debug(`${r.name}: ${r.detail}`);
  // A running service with a detail needs attention (an app whose supervisor was killed).
  for (const r of rows) if (r.detail && r.state === 'running') ctx.out.warn(`${r.name}: ${r.detail}`);
}

/** Counts of applied and pending migrations, when there are migrations and Postgres answers. */
async function pendingMigrations(ctx: Context, rows: StatusRow[]): Promise<{ applied: number; pending: number } | undefined> {
  const config = await ctx.config();
  const pg = rows.find((r) => r.kind === 'postgres' && r.health === 'ok');
  const target = pg && serviceDatabase(config, [pg.name]);
  if (!target) return undefined;
  const report = await openMigrations(config)
    .then((m) => m.status(target))
    .catch(() => undefined);
  if (!report || report.rows.length === 0) return undefined;
  return { applied: report.applied, pending: report.pending };
}
