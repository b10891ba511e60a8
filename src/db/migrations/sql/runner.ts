import type { Client } from 'pg';
import { EXIT, TmError } from '../../../errors.js';
import { withClient, type DatabaseTarget } from '../../connect.js';
import { forgetSeedsSince } from '../../seeds/tracking.js';
import { MIGRATION_LOCK_KEY, withAdvisoryLock } from '../../lock.js';
import type { MigrateOptions, RepairChange, RepairOptions, RollbackOptions, RunOptions, VersionedFile } from '../types.js';
import { applyDown, applyUp } from './apply.js';
import { compareVersions, type MigrationFile, type SqlFiles } from './file.js';
import { ensureHistory, HISTORY_TABLE, readHistory, type AppliedMigration } from './history.js';
import { checkVersion, compare, planMigrate, planRollback, type MigrationStatus } from './plan.js';

// tm's runner for versioned SQL files: plans against the history table and applies each
// file in its own transaction, under the advisory lock. Every SQL layout runs through it.

export interface SqlMigrateResult {
  applied: VersionedFile[];
  /** With dry-run: what would run, nothing changed. */
  dry_run?: { version: string; name: string; path: string; sql: string }[];
}

/** Connects as a named runner, takes the lock, makes sure the history table exists. */
async function withLock<T>(target: DatabaseTarget, role: string, opts: RunOptions, work: (client: Client) => Promise<T>): Promise<T> {
  return withClient(
    target,
    role,
    (client) =>
      withAdvisoryLock(client, MIGRATION_LOCK_KEY, opts, async () => {
        await ensureHistory(client);
        return work(client);
      }),
    { createSchema: true },
  );
}

async function applyEach(client: Client, files: MigrationFile[], dir: 'up' | 'down', opts: RunOptions): Promise<VersionedFile[]> {
  const done: VersionedFile[] = [];
  for (const f of files) {
    opts.signal?.throwIfAborted();
    const t = performance.now();
    await (dir === 'up' ? applyUp(client, f) : applyDown(client, f));
    const ms = performance.now() - t;
    opts.onFile?.(`${f.version}_${f.name}`, ms);
    done.push({ version: f.version, name: f.name, path: f.path, duration_ms: Math.round(ms) });
  }
  return done;
}

/** Applies pending migrations in order, each in its own transaction, under the lock. */
export async function migrate(source: SqlFiles, target: DatabaseTarget, opts: MigrateOptions = {}): Promise<SqlMigrateResult> {
  checkVersion(opts.to);
  const files = await source.read();
  if (opts.dryRun) {
    const pending = planMigrate(files, await historyOf(target, 'dry-run'), opts);
    return { applied: [], dry_run: pending.map((f) => ({ version: f.version, name: f.name, path: f.path, sql: f.up.sql.trim() })) };
  }
  if (files.length === 0) return { applied: [] };
  return withLock(target, 'migrate', opts, async (client) => {
    const pending = planMigrate(files, await readHistory(client), opts);
    return { applied: await applyEach(client, pending, 'up', opts) };
  });
}

export async function rollback(source: SqlFiles, target: DatabaseTarget, opts: RollbackOptions = {}): Promise<VersionedFile[]> {
  checkVersion(opts.to);
  const files = await source.read();
  return withLock(target, 'rollback', opts, async (client) => {
    const history = await readHistory(client);
    const targets = planRollback(files, history, opts);
    const done = await applyEach(client, targets, 'down', opts);
    await forgetSeedsSince(client, earliestApplied(history, done));
    return done;
  });
}

/** Rolls back the newest applied migration and applies it again (for iterating on it). */
export async function redo(source: SqlFiles, target: DatabaseTarget, opts: RunOptions = {}): Promise<VersionedFile[]> {
  const files = await source.read();
  return withLock(target, 'redo', opts, async (client) => {
    const [last] = planRollback(files, await readHistory(client), { steps: 1 });
    if (!last) throw new TmError('TM_NOTHING_TO_REDO', 'no migration has been applied yet', { exit: EXIT.migration, hint: 'tm db migrate' });
    const history = await readHistory(client);
    await applyDown(client, last);
    await forgetSeedsSince(client, earliestApplied(history, [last]));
    return applyEach(client, [last], 'up', opts);
  });
}

/** When the first of these migrations was applied: seed runs since then go with them. */
function earliestApplied(history: AppliedMigration[], files: { version: string }[]): Date | undefined {
  const times = history.filter((h) => files.some((f) => compareVersions(f.version, h.version) === 0)).map((h) => h.applied_at.getTime());
  return times.length ? new Date(Math.min(...times)) : undefined;
}

/** The applied migrations, read-only: no lock, no history table created. */
function historyOf(target: DatabaseTarget, role: string): Promise<AppliedMigration[]> {
  return withClient(target, role, readHistory);
}

/** Files and history side by side; read-only (no lock, nothing created). */
export async function migrationStatus(source: SqlFiles, target: DatabaseTarget): Promise<MigrationStatus[]> {
  return compare(await source.read(), await historyOf(target, 'status'));
}

/**
 * The escape hatch for edited and missing files: accept the file as it is now. `version`
 * limits it to one migration; `dryRun` says what it would do and changes nothing.
 */
export async function repair(source: SqlFiles, target: DatabaseTarget, opts: RepairOptions = {}): Promise<RepairChange[]> {
  const version = checkVersion(opts.version, 'VERSION');
  const files = await source.read();
  const plan = (rows: MigrationStatus[]): RepairChange[] => {
    const wanted = version === undefined ? rows : rows.filter((r) => compareVersions(r.version, version) === 0);
    if (version !== undefined && wanted.length === 0) {
      throw new TmError('TM_USAGE', `there is no migration ${version}, applied or not`, { exit: EXIT.usage, hint: 'tm db status lists them' });
    }
    return wanted.flatMap((r): RepairChange[] =>
      r.state === 'edited'
        ? [{ version: r.version, name: r.name, change: 'checksum re-recorded', from: r.recorded_checksum, to: r.file_checksum }]
        : r.state === 'missing'
          ? [{ version: r.version, name: r.name, change: 'forgotten (file missing)' }]
          : [],
    );
  };
  if (opts.dryRun) return plan(compare(files, await historyOf(target, 'status')));
  return withLock(target, 'repair', opts, async (client) => {
    const changes = plan(compare(files, await readHistory(client)));
    for (const c of changes) {
      if (c.to) await client.query(`UPDATE ${HISTORY_TABLE} SET checksum = $1 WHERE version = $2`, [c.to, c.version]);
      else await client.query(`DELETE FROM ${HISTORY_TABLE} WHERE version = $1`, [c.version]);
    }
    return changes;
  });
}
