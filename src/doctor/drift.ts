import { checkDrift } from '../db/drift/drift.js';
import { formatDifference } from '../db/drift/format.js';
import { openMigrations } from '../db/migrations/layouts.js';
import { errorText, isTmError } from '../errors.js';
import type { Check } from './types.js';

/** How many differences the finding names (tm db drift lists them all). */
const SHOWN = 3;

/**
 * The live schema against the one the migration files produce (tm db drift). Only once the
 * migrations are all applied and their history is sound: before that, the migrations check
 * says what to do, and every pending change would count as drift.
 */
export const driftCheck: Check = {
  id: 'drift',
  title: 'schema matches the migrations',
  needsConfig: true,
  hangsOn: 'services',
  async run(ctx) {
    const config = ctx.config!;
    const target = await ctx.database();
    if (!target) return { status: 'ok', detail: 'no database' };
    const migrations = await openMigrations(config);
    // A project without migrations of tm's (another tool keeps its schema) has nothing to compare with.
    if ((await migrations.files()).length === 0) return { status: 'ok', detail: 'no migrations' };
    const status = await migrations.status(target).catch(() => undefined);
    if (!status) return { status: 'ok', detail: 'not checked: the database does not answer (see migrations)' };
    if (status.pending > 0 || status.broken.length > 0) return { status: 'ok', detail: 'not checked until the migrations are applied (see migrations)' };
    // Its own limit, inside the doctor's: a slow comparison (building the schema of many files on
    // a busy server) is no fault of the stack, so it is said, not warned about. A scratch database
    // it was building is dropped on its way out; if the doctor ends first, the next comparison does.
    const signal = AbortSignal.timeout(ctx.attemptMs);
    const outOfTime = new Promise<'late'>((resolve) => signal.addEventListener('abort', () => resolve('late'), { once: true }));
    const report = await Promise.race([checkDrift(config, target, { signal, migrations, status }).catch((err: unknown) => err as Error), outOfTime]);
    if (report === 'late' || signal.aborted) {
      return { status: 'ok', detail: `not compared within ${ctx.attemptMs} ms: tm db drift compares without a limit (fastest after tm db reset)` };
    }
    if (report instanceof Error)
      return { status: 'warn', detail: `not checked: ${errorText(report)}`, fix: (isTmError(report) && report.hint) || 'tm db drift says more' };
    const { differences } = report;
    const objects = Object.values(report.compared).reduce((a, b) => a + b, 0);
    if (differences.length === 0) return { status: 'ok', detail: `${objects} objects as the migrations make them (${target.source})` };
    const more = differences.length > SHOWN ? `; and ${differences.length - SHOWN} more` : '';
    return {
      status: 'warn',
      detail: `${differences.length} difference(s) from the migrations: ${differences.slice(0, SHOWN).map(formatDifference).join('; ')}${more}`,
      fix: 'tm db drift lists them; write what you keep as a migration (tm db new NAME), or tm db reset rebuilds the database from the migrations (data too)',
    };
  },
};
