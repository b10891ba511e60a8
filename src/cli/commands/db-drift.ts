import { OBJECT_KINDS } from '../../db/drift/catalog.js';
import { checkDrift, driftError, type DriftReport } from '../../db/drift/drift.js';
import { formatDifference } from '../../db/drift/format.js';
import { seedEnv } from '../../db/seeds/seed.js';
import type { Context } from '../context.js';
import { type DbFlags, dbTarget } from './db-common.js';

/** The options of `tm db drift`. */
export type DriftFlags = DbFlags & { env?: string };

export async function run(ctx: Context, opts: DriftFlags): Promise<void> {
  const config = await ctx.config();
  const target = await dbTarget(ctx, opts);
  const report = await ctx.out.step(
    'comparing the live schema with the migrations',
    () => checkDrift(config, target, { signal: ctx.signal, env: seedEnv(opts.env) }),
    (r) => `compared ${total(r)} objects (${expectedFrom(r)})`,
    (r) => r.differences.length > 0,
  );
  if (report.pending > 0)
    ctx.out.warn(`${report.pending} migration(s) are not applied to ${report.database} yet: their changes show as differences (tm db migrate)`);
  ctx.out.result(
    { ...report, drift: report.differences.length > 0, differences: report.differences.map((d) => ({ ...d, message: formatDifference(d) })) },
    () =>
      report.differences.length === 0
        ? `no drift: ${where(report)} matches its migrations (${counts(report)})`
        : report.differences.map(formatDifference).join('\n'),
  );
  const drift = driftError(report, { listed: true });
  if (drift) throw drift;
}

const total = (r: DriftReport) => Object.values(r.compared).reduce((a, b) => a + b, 0);
const where = (r: DriftReport) => (r.schema ? `schema ${r.schema} of ${r.database}` : r.database);
const expectedFrom = (r: DriftReport) =>
  r.expected.from === 'template'
    ? `migrations from the cached template${r.expected.applied ? ` + ${r.expected.applied} file(s)` : ''}`
    : `${r.expected.applied} migration(s) applied to a scratch database`;
const counts = (r: DriftReport) =>
  OBJECT_KINDS.filter((k) => r.compared[k] > 0)
    .map((k) => `${r.compared[k]} ${r.compared[k] === 1 ? k : k === 'index' ? 'indexes' : `${k}s`}`)
    .join(', ') || 'both empty';
