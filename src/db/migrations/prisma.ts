import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Client } from 'pg';
import type { Config } from '../../config/load.js';
import { EXIT, TmError, type Problem } from '../../errors.js';
import { connectionOf, withClient, type DatabaseTarget } from '../connect.js';
import { withAdvisoryLock } from '../lock.js';
import { slugOf, writeNew } from '../new-file.js';
import { locateFailingStatement, serverOffset } from '../sql-errors.js';
import { lineColumn } from '../sql-split.js';
import { nextStamp } from './dbmate.js';
import { fileNames } from './sql/file.js';
import type { Layout, MigrateOptions, Migrations, ResolveAction, RunOptions, StatusReport } from './types.js';

// Prisma's layout: `prisma/migrations/<timestamp>_<name>/migration.sql`, applied and recorded
// with Prisma Migrate's own bookkeeping, matched so that `prisma migrate status/deploy` agree
// with what tm did (see README, "Prisma projects", for how each rule was checked).

/** Prisma's advisory lock key: tm and `prisma migrate deploy` exclude each other. */
const PRISMA_LOCK_KEY = 72707369n;

/** The table definition of Prisma's postgres connector, column for column. */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

interface PrismaProject {
  /** The prisma/ folder. */
  dir: string;
  migrationsDir: string;
}

interface PrismaMigration {
  /** The folder name, e.g. `20240101120000_init`. */
  name: string;
  /** Path of migration.sql relative to the project root. */
  path: string;
  text: string;
  /** sha256 hex of the raw bytes, as Prisma records it. */
  checksum: string;
  /** Checksums that also count as unchanged: the same script with other line endings. */
  equivalent: string[];
}

interface Row {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

/** A Prisma project: `db.prisma` in the config, or `prisma/migrations/migration_lock.toml`. */
export const prisma: Layout = {
  format: 'prisma',
  holds: (dir) => existsSync(join(dir, 'migration_lock.toml')) || fileNames(dir).some((n) => existsSync(join(dir, n, 'migration.sql'))),
  async open(config) {
    // Without db.prisma, the conventional prisma/ folder, which must then exist.
    const project = await detectPrisma({ ...config, db: { ...config.db, prisma: config.db.prisma ?? 'prisma' } });
    return prismaMigrations(config, project!);
  },
  async detect(config) {
    const project = await detectPrisma(config);
    return project && prismaMigrations(config, project);
  },
};

function prismaMigrations(config: Config, project: PrismaProject): Migrations {
  return {
    format: 'prisma',
    noun: 'Prisma migration',
    dir: project.migrationsDir,
    outOfOrder: false,
    // Deploying records the history table, and refuses a schema with tables but no history,
    // even before the first folder.
    isEmpty: () => false,
    files: () => readPrismaMigrations(project, config.root),
    status: async (target) => statusReport(await prismaStatus(config, project, target)),
    async migrate(target, opts = {}) {
      const result = await prismaMigrate(config, project, target, opts);
      for (const name of result.modified) opts.onWarning?.(`${name} was modified after it was applied (prisma migrate deploy warns too; --strict refuses)`);
      return result;
    },
    resolve: (target, action, opts) => prismaResolve(config, project, target, action, opts),
    newFile: (name, now) => newPrismaMigration(config, project, name, now),
    unsupported(capability, command) {
      if (capability === 'outOfOrder') {
        return new TmError('TM_USAGE', `${command} is for SQL migrations; this project keeps its migrations in Prisma folders`, {
          exit: EXIT.usage,
          hint: 'drop it: Prisma migrations apply every pending folder in name order, older ones included, as prisma migrate deploy does',
        });
      }
      return new TmError('TM_PRISMA_UNSUPPORTED', `${command} works on SQL migrations; this project keeps its migrations in Prisma folders`, {
        exit: EXIT.usage,
        hint: 'Prisma migrations are forward-only: write a new migration (tm db new NAME, or prisma migrate dev where Prisma is installed), or tm db resolve',
      });
    },
  };
}

/**
 * Writes `<migrations>/<YYYYMMDDHHMMSS>_<name>/migration.sql`, the folder `prisma migrate dev
 * --create-only` makes, so `tm db migrate` (and Prisma) apply it; the stamp sorts after every
 * folder already there.
 */
async function newPrismaMigration(config: Config, project: PrismaProject, name: string, now = new Date()): Promise<string> {
  const slug = slugOf(name);
  const stamps = (await readdir(project.migrationsDir).catch(() => [] as string[])).map((n) => /^(\d+)_/.exec(n)?.[1]).filter((s) => s !== undefined);
  const newest = stamps.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)).at(-1);
  const folder = join(project.migrationsDir, `${nextStamp(now, newest)}_${slug}`);
  return writeNew(
    config,
    folder,
    'migration.sql',
    '-- The SQL of this migration; keep schema.prisma in step with it (Prisma applies folders in name order).\n',
  );
}

/** Only the postgresql provider is supported. */
async function detectPrisma(config: Config): Promise<PrismaProject | undefined> {
  const dir = resolve(config.root, config.db.prisma ?? 'prisma');
  const migrationsDir = join(dir, 'migrations');
  const lockFile = join(migrationsDir, 'migration_lock.toml');
  const lock = await readFile(lockFile, 'utf8').catch(() => undefined);
  if (lock === undefined) {
    if (!config.db.prisma) return undefined;
    const exists = await readdir(migrationsDir).then(
      () => true,
      () => false,
    );
    if (!exists) {
      throw new TmError('TM_PRISMA_NOT_FOUND', `db.prisma is ${config.db.prisma}, but ${relative(config.root, migrationsDir)} does not exist`, {
        exit: EXIT.config,
        hint: 'point db.prisma at the folder holding schema.prisma and migrations/',
      });
    }
    return { dir, migrationsDir };
  }
  const provider = /^\s*provider\s*=\s*"([^"]*)"/m.exec(lock)?.[1];
  if (provider && provider !== 'postgresql') {
    throw new TmError(
      'TM_PRISMA_PROVIDER',
      `${relative(config.root, lockFile)} says provider = "${provider}"; tm applies Prisma migrations for postgresql only`,
      {
        exit: EXIT.config,
        hint: 'use prisma migrate deploy for other databases',
      },
    );
  }
  return { dir, migrationsDir };
}

/** `migrations/<name>/migration.sql` in folder-name order (Prisma's order). */
async function readPrismaMigrations(project: PrismaProject, root: string): Promise<PrismaMigration[]> {
  const entries = await readdir(project.migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const out: PrismaMigration[] = [];
  for (const name of names) {
    const file = join(project.migrationsDir, name, 'migration.sql');
    const bytes = await readFile(file).catch(() => undefined);
    if (!bytes) continue; // Prisma skips folders without a migration.sql as well
    const text = bytes.toString('utf8');
    const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
    out.push({
      name,
      path: relative(root, file),
      text,
      checksum: sha(bytes),
      equivalent: [sha(text.replace(/\r\n/g, '\n')), sha(text.replace(/\r?\n/g, '\r\n'))],
    });
  }
  return out;
}

type PrismaState = 'applied' | 'pending' | 'failed';

interface PrismaStatus {
  name: string;
  state: PrismaState;
  path?: string;
  started_at?: string;
  finished_at?: string;
  /** Applied, but the file changed since (Prisma's deploy warns, tm's --strict refuses). */
  modified?: boolean;
  /** A row for a folder that is not here (applied elsewhere, or deleted). */
  missing_locally?: boolean;
  logs?: string;
}

/** Rows as Prisma reads them: a row with rolled_back_at set is ignored. */
function classify(migrations: PrismaMigration[], rows: Row[]): PrismaStatus[] {
  const live = rows.filter((r) => r.rolled_back_at === null);
  const out: PrismaStatus[] = [];
  for (const m of migrations) {
    const applied = live.find((r) => r.migration_name === m.name && r.finished_at !== null);
    const failed = live.find((r) => r.migration_name === m.name && r.finished_at === null);
    if (applied) {
      const same = applied.checksum === m.checksum || m.equivalent.includes(applied.checksum);
      out.push({
        name: m.name,
        state: 'applied',
        path: m.path,
        started_at: applied.started_at.toISOString(),
        finished_at: applied.finished_at!.toISOString(),
        modified: !same,
      });
    } else if (failed) {
      out.push({ name: m.name, state: 'failed', path: m.path, started_at: failed.started_at.toISOString(), logs: failed.logs ?? undefined });
    } else out.push({ name: m.name, state: 'pending', path: m.path });
  }
  for (const r of live) {
    if (migrations.some((m) => m.name === r.migration_name)) continue;
    out.push({ name: r.migration_name, state: r.finished_at ? 'applied' : 'failed', missing_locally: true, started_at: r.started_at.toISOString() });
  }
  return out;
}

async function readRows(client: Client): Promise<Row[] | undefined> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('_prisma_migrations')::text AS t`);
  if (!exists.rows[0]?.t) return undefined;
  return (await client.query<Row>('SELECT * FROM _prisma_migrations ORDER BY started_at')).rows;
}

/** With ?schema=NAME, Prisma creates the schema if missing and works inside it. */
function withPrismaLock<T>(target: DatabaseTarget, role: string, opts: RunOptions, work: (client: Client) => Promise<T>): Promise<T> {
  return withClient(target, role, (client) => withAdvisoryLock(client, PRISMA_LOCK_KEY, opts, () => work(client)), { createSchema: true });
}

async function prismaStatus(config: Config, project: PrismaProject, target: DatabaseTarget): Promise<PrismaStatus[]> {
  const migrations = await readPrismaMigrations(project, config.root);
  return withClient(target, 'status', async (client) => classify(migrations, (await readRows(client)) ?? []));
}

interface PrismaMigrateResult {
  applied: { name: string; path: string; duration_ms: number }[];
  /** Applied migrations whose file changed since. */
  modified: string[];
}

/**
 * `prisma migrate deploy` without Prisma's engine: refuses while a failed migration is
 * recorded (Prisma's P3009), then for each pending folder records the start, runs the
 * script as one query (one implicit transaction, as Prisma's postgres connector does), and
 * marks it finished; a failure keeps its row with finished_at null and the error in logs.
 */
async function prismaMigrate(
  config: Config,
  project: PrismaProject,
  target: DatabaseTarget,
  opts: MigrateOptions = {},
): Promise<PrismaMigrateResult & { dry_run?: { name: string; path: string; sql: string }[] }> {
  const migrations = await readPrismaMigrations(project, config.root);
  const last = opts.to === undefined ? undefined : lastFolder(migrations, opts.to, relative(config.root, project.migrationsDir));
  const pendingOf = (statuses: PrismaStatus[]) =>
    migrations.filter((m) => statuses.find((s) => s.name === m.name)?.state === 'pending' && (last === undefined || m.name <= last));
  if (opts.dryRun) {
    const statuses = await prismaStatus(config, project, target);
    refuseFailed(statuses);
    const pending = pendingOf(statuses);
    return { applied: [], modified: [], dry_run: pending.map((m) => ({ name: m.name, path: m.path, sql: m.text.trim() })) };
  }
  return withPrismaLock(target, 'migrate', opts, async (client) => {
    let rows = await readRows(client);
    if (!rows) {
      await refuseNonEmptySchema(client, connectionOf(target).schema);
      await client.query(CREATE_TABLE);
      rows = [];
    }
    const statuses = classify(migrations, rows);
    refuseFailed(statuses);
    const modified = statuses.filter((s) => s.modified).map((s) => s.name);
    if (modified.length > 0 && opts.strict) {
      throw new TmError(
        'TM_PRISMA_MODIFIED',
        `applied migration${modified.length > 1 ? 's were' : ' was'} modified after being applied: ${modified.join(', ')}`,
        {
          exit: EXIT.migration,
          hint: 'restore the files as they were applied (git checkout), or drop --strict to only warn as prisma migrate deploy does',
        },
      );
    }
    const applied: PrismaMigrateResult['applied'] = [];
    for (const m of pendingOf(statuses)) {
      opts.signal?.throwIfAborted();
      const id = randomUUID();
      const t = performance.now();
      await client.query('INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name) VALUES ($1, $2, now(), $3)', [id, m.checksum, m.name]);
      try {
        // The script and its "finished" mark in one implicit transaction.
        await client.query(
          `${m.text}\n;\nUPDATE _prisma_migrations SET applied_steps_count = ` +
            `applied_steps_count + 1, finished_at = now() WHERE id = ${client.escapeLiteral(id)}`,
        );
      } catch (err) {
        const e = err as { message?: string; position?: string; code?: string };
        const message = `${e.message ?? String(err)}${e.code ? ` (SQLSTATE ${e.code})` : ''}`;
        // A script with its own BEGIN (Prisma writes one for enum changes) leaves the session
        // in an aborted transaction, where recording the failure would fail too. pg reports
        // the error before the server's transaction status arrives, so end it either way
        // (outside a transaction ROLLBACK is only a notice).
        await client.query('ROLLBACK');
        await client.query('UPDATE _prisma_migrations SET logs = $1 WHERE id = $2', [message, id]);
        const offset = serverOffset(err, m.text, 0, m.text.length) ?? (await locateFailingStatement(client, m.text, err).catch(() => undefined));
        const where = offset === undefined ? undefined : lineColumn(m.text, offset);
        throw new TmError(
          'TM_MIGRATION_FAILED',
          `Prisma migration ${m.name} failed; it is recorded as failed, and later migrations will not run until it is resolved`,
          {
            exit: EXIT.migration,
            problems: [{ file: m.path, line: where?.line, column: where?.column, message }],
            hint: `fix the database by hand if needed, then tm db resolve --rolled-back ${m.name} (to retry it) or --applied ${m.name}`,
            cause: err,
          },
        );
      }
      const ms = performance.now() - t;
      opts.onFile?.(m.name, ms);
      applied.push({ name: m.name, path: m.path, duration_ms: Math.round(ms) });
    }
    return { applied, modified };
  });
}

/** Prisma refuses (P3009) while any migration is recorded as failed. */
function refuseFailed(statuses: PrismaStatus[]): void {
  const failed = statuses.filter((s) => s.state === 'failed');
  if (failed.length === 0) return;
  throw new TmError('TM_PRISMA_FAILED_MIGRATION', `found failed migrations in the database; new migrations will not be applied (as Prisma's P3009)`, {
    exit: EXIT.migration,
    problems: failed.map(
      (f): Problem => ({ file: f.path, message: `${f.name} started at ${f.started_at} and failed${f.logs ? `: ${f.logs.split('\n')[0]}` : ''}` }),
    ),
    hint:
      `tm db resolve --rolled-back ${failed[0]!.name} once its changes are undone ` +
      `(it runs again), or --applied ${failed[0]!.name} if they were completed by hand`,
  });
}

/** `--to`: a folder name, or its leading timestamp; the last folder to apply. */
function lastFolder(migrations: PrismaMigration[], to: string, dir: string): string {
  const found = migrations.filter((m) => m.name === to || m.name.split('_')[0] === to);
  if (found.length === 1) return found[0]!.name;
  throw new TmError(
    'TM_USAGE',
    `--to: ${found.length ? `"${to}" matches ${found.length} migration folders` : `there is no migration folder "${to.slice(0, 80)}" in ${dir}`}`,
    {
      exit: EXIT.usage,
      hint: `give a folder name from ${dir} (or its timestamp), e.g. --to ${migrations.at(-1)?.name ?? '20240101120000_init'}`,
    },
  );
}

/** Prisma will not start recording history in a database that already has tables (P3005). */
async function refuseNonEmptySchema(client: Client, schema: string | undefined): Promise<void> {
  const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = coalesce($1, current_schema())`, [
    schema ?? null,
  ]);
  if (rows[0]!.n === 0) return;
  throw new TmError('TM_PRISMA_SCHEMA_NOT_EMPTY', "the database schema is not empty but has no _prisma_migrations table (as Prisma's P3005)", {
    exit: EXIT.migration,
    hint: 'baseline it: tm db resolve --applied <the migration that matches what is there>',
  });
}

/** `prisma migrate resolve`: mark a migration applied, or a failed one rolled back. */
async function prismaResolve(config: Config, project: PrismaProject, target: DatabaseTarget, action: ResolveAction, opts: RunOptions = {}): Promise<string> {
  const migrations = await readPrismaMigrations(project, config.root);
  const name = 'applied' in action ? action.applied : action.rolledBack;
  return withPrismaLock(target, 'resolve', opts, async (client) => {
    await client.query(CREATE_TABLE);
    const rows = ((await readRows(client)) ?? []).filter((r) => r.migration_name === name && r.rolled_back_at === null);
    const failedRows = rows.filter((r) => r.finished_at === null);
    if ('applied' in action) {
      const m = migrations.find((x) => x.name === name);
      if (!m)
        throw new TmError('TM_PRISMA_UNKNOWN_MIGRATION', `there is no migration folder named ${name}`, {
          exit: EXIT.usage,
          hint: `ls ${relative(config.root, project.migrationsDir)}`,
        });
      if (rows.some((r) => r.finished_at !== null)) {
        throw new TmError('TM_PRISMA_ALREADY_APPLIED', `migration ${name} is already recorded as applied (as Prisma's P3008)`, {
          exit: EXIT.migration,
          hint: 'nothing to do: tm db status shows it applied',
        });
      }
      for (const r of failedRows) await client.query('UPDATE _prisma_migrations SET rolled_back_at = now() WHERE id = $1', [r.id]);
      await client.query(`INSERT INTO _prisma_migrations (id, checksum, logs, started_at, finished_at, migration_name) VALUES ($1, $2, '', now(), now(), $3)`, [
        randomUUID(),
        m.checksum,
        name,
      ]);
      return `${name} marked as applied`;
    }
    if (rows.length === 0) {
      throw new TmError('TM_PRISMA_NOT_RECORDED', `migration ${name} cannot be rolled back: it was never applied (as Prisma's P3011)`, {
        exit: EXIT.migration,
        hint: 'only a failed migration can be marked rolled back; tm db status lists them',
      });
    }
    if (failedRows.length === 0) {
      throw new TmError('TM_PRISMA_NOT_FAILED', `migration ${name} cannot be marked rolled back: it is not in a failed state (as Prisma's P3012)`, {
        exit: EXIT.migration,
        hint: 'Prisma migrations are forward-only: undo it with a new migration (prisma migrate dev), or tm db reset a development database',
      });
    }
    for (const r of failedRows) await client.query('UPDATE _prisma_migrations SET rolled_back_at = now() WHERE id = $1', [r.id]);
    return `${name} marked as rolled back; tm db migrate will apply it again`;
  });
}

/** A failed migration stops deploy; a modified applied one is a warning unless strict. */
function statusReport(rows: PrismaStatus[]): StatusReport {
  const count = (state: PrismaState) => rows.filter((r) => r.state === state).length;
  const modified = rows.filter((r) => r.modified).map((r) => r.name);
  const counts = { applied: count('applied'), pending: count('pending'), failed: count('failed'), modified: modified.length };
  return {
    rows,
    applied: counts.applied,
    pending: counts.pending,
    broken: rows.filter((r) => r.state === 'failed'),
    fix: 'tm db resolve',
    json: { kind: 'prisma', ...counts, migrations: rows },
    warnings: modified.map((name) => `${name} was modified after it was applied`),
    table: {
      head: ['migration', 'state', 'finished at'],
      rows: rows.map((r) => [
        r.name,
        {
          state: r.state,
          notes: [
            ...(r.modified ? [{ text: ' (modified)', tone: 'warn' as const }] : []),
            ...(r.missing_locally ? [{ text: ' (no folder here)', tone: 'dim' as const }] : []),
          ],
        },
        r.finished_at ?? '',
      ]),
    },
    summary: `${counts.applied} applied, ${counts.pending} pending${counts.failed ? `, ${counts.failed} failed` : ''}`,
    verdict({ exitCode, strict }) {
      const problems = counts.pending + counts.failed + (strict ? counts.modified : 0);
      if (exitCode && problems > 0) {
        return new TmError('TM_MIGRATIONS_PENDING', `${counts.pending} pending, ${counts.failed} failed${strict ? `, ${counts.modified} modified` : ''}`, {
          exit: EXIT.problems,
          hint: counts.failed ? 'tm db resolve' : 'tm db migrate',
        });
      }
      if (strict && counts.modified > 0 && !exitCode) {
        return new TmError('TM_PRISMA_MODIFIED', `${counts.modified} applied migration(s) modified after being applied`, {
          exit: EXIT.migration,
          hint: 'restore them as they were applied',
        });
      }
      return undefined;
    },
  };
}
