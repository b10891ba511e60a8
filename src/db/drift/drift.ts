import type { Config } from '../../config/load.js';
import { EXIT, TmError } from '../../errors.js';
import { databaseName } from '../admin/databases.js';
import { schemaOf } from '../admin/schema-mode.js';
import { withClient, type DatabaseTarget } from '../connect.js';
import { openMigrations } from '../migrations/layouts.js';
import type { Migrations, StatusReport } from '../migrations/types.js';
import { seedEnv } from '../seeds/seed.js';
import { readSchema, type ObjectKind, type SchemaSnapshot } from './catalog.js';
import { compareSchemas, countObjects, type Difference } from './compare.js';
import { formatDifference } from './format.js';
import { withExpectedSchema, type ExpectedSource } from './expected.js';

/** What `tm db drift` found: the live schema against the one the migration files produce. */
export interface DriftReport {
  database: string;
  /** With `?schema=` in the URL: the one schema compared. */
  schema?: string;
  /** Migrations not applied to the live database yet: their changes show as differences. */
  pending: number;
  /** How the schema of the migration files was built. */
  expected: ExpectedSource;
  /** Objects of each kind compared (on either side). */
  compared: Record<ObjectKind, number>;
  differences: Difference[];
}

export interface DriftOptions {
  /** Ctrl-C (or a time limit): the scratch database is dropped before the error is thrown. */
  signal?: AbortSignal;
  /** The seed environment whose reset template is tried first (default: TM_ENV, then development). */
  env?: string;
  /** The project's migrations and the live status, when the caller has read them already. */
  migrations?: Migrations;
  status?: StatusReport;
}

/**
 * Compares the live schema of `target` with the schema its migration files produce, object by
 * object through the catalogs. The live schema is read while the expected one is built.
 */
export async function checkDrift(config: Config, target: DatabaseTarget, opts: DriftOptions = {}): Promise<DriftReport> {
  const migrations = opts.migrations ?? (await openMigrations(config));
  const scope = { schema: schemaOf(target) };
  // The live status (for pending migrations), the live schema and the expected one, side by side.
  const [status, live, built] = await Promise.allSettled([
    opts.status ?? migrations.status(target),
    withClient(target, 'drift', (client) => readSchema(client, scope)),
    withExpectedSchema(config, target, migrations, { signal: opts.signal, env: opts.env ?? seedEnv() }, (expected) =>
      withClient(expected, 'drift', (client) => readSchema(client, scope)),
    ),
  ]);
  // All settle first: a scratch database is dropped before any error goes up (and the process may end).
  const pending = settled(status).pending;
  const [l, b] = [settled(live), settled(built)] as const;
  opts.signal?.throwIfAborted();
  return report(target, pending, l, b);
}

function settled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === 'rejected') throw result.reason;
  return result.value;
}

function report(target: DatabaseTarget, pending: number, live: SchemaSnapshot, built: { value: SchemaSnapshot; source: ExpectedSource }): DriftReport {
  const schema = schemaOf(target);
  return {
    database: databaseName(target),
    ...(schema ? { schema } : {}),
    pending,
    expected: built.source,
    compared: countObjects(live, built.value),
    differences: compareSchemas(live, built.value),
  };
}

/**
 * TM_SCHEMA_DRIFT (exit 1), or undefined when there is no difference. `listed`: the caller has
 * printed the differences already (the error then only counts them).
 */
export function driftError(report: DriftReport, opts: { listed?: boolean } = {}): TmError | undefined {
  const n = report.differences.length;
  if (n === 0) return undefined;
  return new TmError('TM_SCHEMA_DRIFT', `the schema of ${report.database} differs from its migrations in ${n} place${n === 1 ? '' : 's'}`, {
    exit: EXIT.problems,
    details: opts.listed ? [] : report.differences.map(formatDifference),
    hint:
      report.pending > 0
        ? `${report.pending} migration(s) are not applied yet: tm db migrate, then tm db drift again`
        : 'keep a change by writing it as a migration (tm db new NAME), or drop it with tm db reset (which rebuilds the database from the migrations, data included)',
  });
}
