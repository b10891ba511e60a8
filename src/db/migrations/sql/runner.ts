import type { Client } from 'pg';
import { EXIT, TmError } from '../../../errors.js';
import { withClient, type DatabaseTarget } from '../../connect.js';
import { forgetSeedsSince } from '../../seeds/tracking.js';
import { MIGRATION_LOCK_KEY, withAdvisoryLock } from '../../lock.js';
import type { MigrateOptions, RepairChange, RepairOptions, RollbackOptions, RunOptions, TakeoverSummary, VersionedFile } from '../types.js';
import { applyDown, applyUp } from './apply.js';
import { compareVersions, type MigrationFile, type SqlFiles } from './file.js';
import { ensureHistory, HISTORY_TABLE, readHistory, type AppliedMigration } from './history.js';
import { checkVersion, compare, planMigrate, planRollback, type MigrationStatus } from './plan.js';
import { changedSinceWarnings, importTakeover, readTakeover, type Takeover } from './takeover.js';

// tm's runner for versioned SQL files: plans against the history table and applies each
// file in its own transaction, under the advisory lock. Every SQL layout runs through it.

export interface SqlMigrateResult {
  applied: VersionedFile[];
  /** With dry-run: what would run, nothing changed. */
  dry_run?: { version: string; name: string; path: string; sql: string }[];
  /** Another tool's history imported (with dry-run: that would be). */
  takeover?: TakeoverSummary;
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

/**
 * Applies pending migrations in order, each in its own transaction, under the lock. On the
 * first run against a database another tool migrated, its history is imported first (once
 * the plan holds: a refused run imports nothing either).
 */
export async function migrate(source: SqlFiles, target: DatabaseTarget, opts: MigrateOptions = {}): Promise<SqlMigrateResult> {
  checkVersion(opts.to, '--to', source.dotted);
  const files = await source.read();
  if (opts.dryRun) {
    const { history, takeover } = await withClient(target, 'dry-run', (client) => historyAndTakeover(client, files, source.format));
    const pending = planMigrate(files, history, opts);
    return {
      applied: [],
      dry_run: pending.map((f) => ({ version: f.version, name: f.name, path: f.path, sql: f.up.sql.trim() })),
      ...(takeover ? { takeover: summaryOf(takeover) } : {}),
    };
  }
  if (files.length === 0) return { applied: [] };
  return withLock(target, 'migrate', opts, async (client) => {
    const { history, takeover } = await historyAndTakeover(client, files, source.format);
    const pending = planMigrate(files, history, opts);
    const summary = takeover && summaryOf(takeover);
    if (takeover && summary) {
      await importTakeover(client, takeover);
      opts.onTakeover?.(summary);
      for (const w of changedSinceWarnings(summary)) opts.onWarning?.(w);
    }
    return { applied: await applyEach(client, pending, 'up', opts), ...(summary ? { takeover: summary } : {}) };
  });
}

/** tm's history; while it is empty, another tool's history (if any) as it would be imported. */
async function historyAndTakeover(client: Client, files: MigrationFile[], format: string): Promise<{ history: AppliedMigration[]; takeover?: Takeover }> {
  const history = await readHistory(client);
  if (history.length > 0) return { history };
  const takeover = await readTakeover(client, files, format);
  return takeover ? { history: takeover.rows, takeover } : { history };
}

function summaryOf(t: Takeover): TakeoverSummary {
  return { from: t.from, table: t.table, imported: t.rows.map((r) => r.version), without_file: t.withoutFile, changed_since: t.changedSince };
}

export async function rollback(source: SqlFiles, target: DatabaseTarget, opts: RollbackOptions = {}): Promise<VersionedFile[]> {
  checkVersion(opts.to, '--to', source.dotted);
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
  return (await inspect(source, target)).rows;
}

/** The status rows, counting another tool's history as applied until tm db migrate imports it (then `takeover` says so). */
export async function inspect(source: SqlFiles, target: DatabaseTarget): Promise<{ rows: MigrationStatus[]; takeover?: TakeoverSummary }> {
  const files = await source.read();
  const { history, takeover } = await withClient(target, 'status', (client) => historyAndTakeover(client, files, source.format));
  return { rows: compare(files, history), ...(takeover ? { takeover: summaryOf(takeover) } : {}) };
}

/**
 * The escape hatch for edited and missing files: accept the file as it is now. `version`
 * limits it to one migration; `dryRun` says what it would do and changes nothing.
 */
export async function repair(source: SqlFiles, target: DatabaseTarget, opts: RepairOptions = {}): Promise<RepairChange[]> {
  const version = checkVersion(opts.version, 'VERSION', source.dotted);
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
