import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Client } from 'pg';
import type { Config } from '../config/load.js';
import { EXIT, TmError } from '../errors.js';
import { applyDown, applyUp } from './apply.js';
import { connect, runnerIdentity, type DatabaseTarget } from './connect.js';
import { readMigrations, type MigrationFile } from './files.js';
import { ensureHistory, HISTORY_TABLE, readHistory } from './history.js';
import { acquireLock, MIGRATION_LOCK_KEY, releaseLock } from './lock.js';
import { compare, planMigrate, planRollback, type MigrationStatus, type PlanOptions, type RollbackOptions } from './plan.js';

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
  const client = await connect(target, runnerIdentity(role));
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
  const files = await readMigrations(migrationsDir(config), config.root);
  if (opts.dryRun) {
    // Read-only: no lock, no history table created.
    const client = await connect(target, runnerIdentity('dry-run'));
    try {
      const pending = planMigrate(files, await readHistory(client), opts);
      return { applied: [], dry_run: pending.map((f) => ({ version: f.version, name: f.name, path: f.path, sql: f.up.sql.trim() })) };
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  if (files.length === 0) return { applied: [] };
  return withLock(target, 'migrate', opts, async (client) => {
    const pending = planMigrate(files, await readHistory(client), opts);
    return { applied: await applyEach(client, pending, 'up', opts) };
  });
}

export async function rollback(config: Config, target: DatabaseTarget, opts: RunOptions & RollbackOptions = {}): Promise<AppliedFile[]> {
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

/** Files and history side by side; read-only (no lock, nothing created). */
export async function migrationStatus(config: Config, target: DatabaseTarget): Promise<MigrationStatus[]> {
  const files = await readMigrations(migrationsDir(config), config.root);
  const client = await connect(target, runnerIdentity('status'));
  try {
    return compare(files, await readHistory(client));
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface RepairChange {
  version: string;
  name: string;
  change: 'checksum re-recorded' | 'forgotten (file missing)';
}

/** The escape hatch for edited and missing files: accept the file as it is now. */
export async function repair(config: Config, target: DatabaseTarget, opts: RunOptions = {}): Promise<RepairChange[]> {
  const files = await readMigrations(migrationsDir(config), config.root);
  return withLock(target, 'repair', opts, async (client) => {
    const rows = compare(files, await readHistory(client));
    const changes: RepairChange[] = [];
    for (const r of rows) {
      if (r.state === 'edited') {
        await client.query(`UPDATE ${HISTORY_TABLE} SET checksum = $1 WHERE version = $2`, [r.file_checksum, r.version]);
        changes.push({ version: r.version, name: r.name, change: 'checksum re-recorded' });
      } else if (r.state === 'missing') {
        await client.query(`DELETE FROM ${HISTORY_TABLE} WHERE version = $1`, [r.version]);
        changes.push({ version: r.version, name: r.name, change: 'forgotten (file missing)' });
      }
    }
    return changes;
  });
}

/** Writes `<dir>/YYYYMMDDHHMMSS_<name>.sql` with both markers. */
export async function newMigration(config: Config, name: string, now = new Date()): Promise<string> {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return writeNew(config, migrationsDir(config), `${stamp}_${slugOf(name)}.sql`, `-- migrate:up\n\n\n-- migrate:down\n\n`);
}

/** Writes `db/seeds/<name>.sql` with an idempotent upsert to start from. */
export async function newSeed(config: Config, name: string): Promise<string> {
  const template = `-- Seeds run again whenever this file changes, so write them to be idempotent:
-- insert what is missing and update what is there (ON CONFLICT ... DO UPDATE).
INSERT INTO users (email, name)
VALUES
  ('ada@example.com', 'Ada Lovelace'),
  ('grace@example.com', 'Grace Hopper')
ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name;
`;
  return writeNew(config, resolve(config.root, config.db.seeds), `${slugOf(name)}.sql`, template);
}

function slugOf(name: string): string {
  const slug = name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  if (!slug) throw new TmError('TM_USAGE', `"${name}" is not a usable file name`, { exit: EXIT.usage, hint: 'e.g. tm db new create_users' });
  return slug;
}

async function writeNew(config: Config, dir: string, name: string, text: string): Promise<string> {
  const file = join(dir, name);
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
