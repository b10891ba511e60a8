import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Client } from 'pg';
import type { Config } from '../config/load.js';
import { EXIT, TmError } from '../errors.js';
import { insideProject } from '../util/inside.js';
import { applyDown, applyUp } from './apply.js';
import { connect, runnerIdentity, type DatabaseTarget } from './connect.js';
import { compareVersions, newestVersion, readMigrations, type MigrationFile } from './files.js';
import { ensureHistory, HISTORY_TABLE, readHistory, type AppliedMigration } from './history.js';
import { acquireLock, MIGRATION_LOCK_KEY, releaseLock } from './lock.js';
import { checkVersion, compare, planMigrate, planRollback, type MigrationStatus, type PlanOptions, type RollbackOptions } from './plan.js';

export interface RunOptions {
  lockTimeoutMs?: number;
  signal?: AbortSignal;
  /** Called after each file, for progress. */
  onFile?: (file: MigrationFile, ms: number) => void;
}

export interface AppliedFile {
  version: string;
  name: string;
  path: string;
  duration_ms: number;
}

export interface MigrateResult {
  applied: AppliedFile[];
  /** With dry-run: what would run, nothing changed. */
  dry_run?: { version: string; name: string; path: string; sql: string }[];
}

export function migrationsDir(config: Config): string {
  return resolve(config.root, config.db.migrations);
}

/** Connects as a named runner, takes the lock, makes sure the history table exists. */
async function withLock<T>(target: DatabaseTarget, role: string, opts: RunOptions, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await connect(target, runnerIdentity(role), undefined, { createSchema: true });
  try {
    // The server notices a killed runner mid-statement within a second and frees its lock.
    await client.query(`SET client_connection_check_interval = 1000`).catch(() => undefined);
    await acquireLock(client, MIGRATION_LOCK_KEY, opts.lockTimeoutMs ?? 10_000, opts.signal);
    try {
      await ensureHistory(client);
      return await work(client);
    } finally {
      await releaseLock(client, MIGRATION_LOCK_KEY).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function applyEach(client: Client, files: MigrationFile[], dir: 'up' | 'down', opts: RunOptions): Promise<AppliedFile[]> {
  const done: AppliedFile[] = [];
  for (const f of files) {
    opts.signal?.throwIfAborted();
    const t = performance.now();
    await (dir === 'up' ? applyUp(client, f) : applyDown(client, f));
    const ms = performance.now() - t;
    opts.onFile?.(f, ms);
    done.push({ version: f.version, name: f.name, path: f.path, duration_ms: Math.round(ms) });
  }
  return done;
}

/** Applies pending migrations in order, each in its own transaction, under the lock. */
export async function migrate(config: Config, target: DatabaseTarget, opts: RunOptions & PlanOptions & { dryRun?: boolean } = {}): Promise<MigrateResult> {
  checkVersion(opts.to);
  const files = await readMigrations(migrationsDir(config), config.root);
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

export async function rollback(config: Config, target: DatabaseTarget, opts: RunOptions & RollbackOptions = {}): Promise<AppliedFile[]> {
  checkVersion(opts.to);
  const files = await readMigrations(migrationsDir(config), config.root);
  return withLock(target, 'rollback', opts, async (client) => {
    const targets = planRollback(files, await readHistory(client), opts);
    return applyEach(client, targets, 'down', opts);
  });
}

/** Rolls back the newest applied migration and applies it again (for iterating on it). */
export async function redo(config: Config, target: DatabaseTarget, opts: RunOptions = {}): Promise<AppliedFile[]> {
  const files = await readMigrations(migrationsDir(config), config.root);
  return withLock(target, 'redo', opts, async (client) => {
    const [last] = planRollback(files, await readHistory(client), { steps: 1 });
    if (!last) throw new TmError('TM_NOTHING_TO_REDO', 'no migration has been applied yet', { exit: EXIT.migration, hint: 'tm db migrate' });
    await applyDown(client, last);
    return applyEach(client, [last], 'up', opts);
  });
}

/** The applied migrations, read-only: no lock, no history table created. */
async function historyOf(target: DatabaseTarget, role: string): Promise<AppliedMigration[]> {
  const client = await connect(target, runnerIdentity(role));
  try {
    return await readHistory(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Files and history side by side; read-only (no lock, nothing created). */
export async function migrationStatus(config: Config, target: DatabaseTarget): Promise<MigrationStatus[]> {
  return compare(await readMigrations(migrationsDir(config), config.root), await historyOf(target, 'status'));
}

export interface RepairChange {
  version: string;
  name: string;
  change: 'checksum re-recorded' | 'forgotten (file missing)';
  /** For a re-recorded checksum: what was recorded, and the file's now. */
  from?: string;
  to?: string;
}

/**
 * The escape hatch for edited and missing files: accept the file as it is now. `version`
 * limits it to one migration; `dryRun` says what it would do and changes nothing.
 */
export async function repair(config: Config, target: DatabaseTarget, opts: RunOptions & { version?: string; dryRun?: boolean } = {}): Promise<RepairChange[]> {
  const version = checkVersion(opts.version, 'VERSION');
  const files = await readMigrations(migrationsDir(config), config.root);
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

/**
 * Writes `<dir>/YYYYMMDDHHMMSS_<name>.sql` with both markers. The stamp is the current time,
 * or one second past the newest file when that is not older (two in the same second).
 */
export async function newMigration(config: Config, name: string, now = new Date()): Promise<string> {
  const slug = slugOf(name);
  const newest = newestVersion(migrationsDir(config));
  return writeNew(config, migrationsDir(config), `${nextStamp(now, newest)}_${slug}.sql`, `-- migrate:up\n\n\n-- migrate:down\n\n`);
}

const formatStamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14);

function nextStamp(now: Date, newest?: string): string {
  const stamp = formatStamp(now);
  if (newest === undefined || compareVersions(newest, stamp) < 0) return stamp;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(newest);
  const t = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
  // A newest version that is not a timestamp (or one a clock ahead wrote) still sorts first.
  return Number.isFinite(t) && formatStamp(new Date(t)) === newest ? formatStamp(new Date(t + 1000)) : (BigInt(newest) + 1n).toString();
}

/** Writes `db/seeds/<name>.sql` with an idempotent upsert (commented out) to start from. */
export async function newSeed(config: Config, name: string): Promise<string> {
  // The example stays commented out, so the new seed runs before it is filled in.
  const template = `-- Seeds run again whenever this file changes, so write them to be idempotent:
-- insert what is missing and update what is there (ON CONFLICT ... DO UPDATE), e.g.
--
-- INSERT INTO users (email, name)
-- VALUES
--   ('ada@example.com', 'Ada Lovelace'),
--   ('grace@example.com', 'Grace Hopper')
-- ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name;
`;
  return writeNew(config, resolve(config.root, config.db.seeds), `${slugOf(name)}.sql`, template);
}

function slugOf(name: string): string {
  const slug = name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  if (!slug) throw new TmError('TM_USAGE', `"${name}" is not a usable file name`, { exit: EXIT.usage, hint: 'e.g. tm db new create_users' });
  return slug;
}

async function writeNew(config: Config, dir: string, name: string, text: string): Promise<string> {
  const file = insideProject(config.root, join(dir, name));
  await mkdir(dir, { recursive: true });
  try {
    await writeFile(file, text, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new TmError('TM_FILE_EXISTS', `${relative(config.root, file)} already exists`, { exit: EXIT.usage, hint: 'pick another name' });
    }
    throw err;
  }
  return relative(config.root, file);
}
