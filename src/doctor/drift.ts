import { setTimeout as delay } from 'node:timers/promises';
import { checkDrift, type DriftReport } from '../db/drift/drift.js';
import { formatDifference } from '../db/drift/format.js';
import { openMigrations } from '../db/migrations/layouts.js';
import { errorText, isTmError } from '../errors.js';
import type { Check, DoctorContext, Finding } from './types.js';

/** How many differences the finding names (tm db drift lists them all). */
const SHOWN = 3;
/** How long a comparison past its limit is given to drop its scratch database. */
const CLEAN_UP_MS = 1000;

type Found = Omit<Finding, 'id' | 'title'>;

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
    // Its own limit, inside the doctor's: a slow comparison (the schema of many files built on a
    // busy server) is no fault of the stack, so it is said, not warned about. Past the limit the
    // comparison stops and drops its scratch database, which is given a moment (the doctor
    // keeps 1.5 s beyond each check's attempt); one the doctor does not wait for is dropped by the
    // next comparison.
    const signal = AbortSignal.timeout(ctx.attemptMs);
    const comparing = compare(ctx, signal);
    const late = new Promise<Found>((resolve) =>
      signal.addEventListener(
        'abort',
        () => {
          const said: Found = {
            status: 'ok',
            detail: `not compared within ${ctx.attemptMs} ms: tm db drift compares without a limit (fastest after tm db reset)`,
          };
          const cleanedUp = comparing.then(
            () => said,
            () => said,
          );
          void Promise.race([cleanedUp, delay(CLEAN_UP_MS, said)]).then(resolve);
        },
        { once: true },
      ),
    );
    return Promise.race([comparing, late]);
  },
};

async function compare(ctx: DoctorContext, signal: AbortSignal): Promise<Found> {
  const config = ctx.config!;
  const target = await ctx.database();
  if (!target) return { status: 'ok', detail: 'no database' };
  const migrations = await openMigrations(config);
  // A project without migrations of tm's (another tool keeps its schema) has nothing to compare with.
  if ((await migrations.files()).length === 0) return { status: 'ok', detail: 'no migrations' };
  const status = await migrations.status(target).catch(() => undefined);
  if (!status) return { status: 'ok', detail: 'not checked: the database does not answer (see migrations)' };
  if (status.pending > 0 || status.broken.length > 0) return { status: 'ok', detail: 'not checked until the migrations are applied (see migrations)' };
  let report: DriftReport;
  try {
    report = await checkDrift(config, target, { signal, migrations, status });
  } catch (err) {
    return { status: 'warn', detail: `not checked: ${errorText(err)}`, fix: (isTmError(err) && err.hint) || 'tm db drift says more' };
  }
  const { differences } = report;
  const objects = Object.values(report.compared).reduce((a, b) => a + b, 0);
  if (differences.length === 0) return { status: 'ok', detail: `${objects} objects as the migrations make them (${target.source})` };
  const more = differences.length > SHOWN ? `; and ${differences.length - SHOWN} more` : '';
  return {
    status: 'warn',
    detail: `${differences.length} difference(s) from the migrations: ${differences.slice(0, SHOWN).map(formatDifference).join('; ')}${more}`,
    fix: 'tm db drift lists them; write what you keep as a migration (tm db new NAME), or tm db reset rebuilds the database from the migrations (data too)',
  };
}
