import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isIP } from 'node:net';
import type { Client } from 'pg';
import { listenAddress } from '../../config/listen.js';
import type { PostgresService } from '../../config/schema.js';
import { settingArgs } from '../../catalog/postgres.js';
import { locateFailingStatement, serverOffset } from '../../db/sql-errors.js';
import { lineColumn } from '../../db/sql-split.js';
import { chooseDataDir, dataParents } from './data-dir.js';
import { EXIT, TmError, errorText } from '../../errors.js';
import { pgProbe } from '../../health/probes.js';
import type { Probe } from '../../health/wait-for.js';
import { findPostgres, missingBinary, type PgBinaries } from './binaries.js';
import { runLogged, spawnDaemon, type Daemon } from './daemon.js';
import { scramVerifier } from './scram.js';
import { ensureOwnedDir, makePrivateDir, removeOwnedDir, self, verifyOwnedDir } from '../../util/safe-dir.js';
import type { NativePaths } from './paths.js';
import { writePrivateFile } from '../../util/private-file.js';
import { isAlive, processCwd } from './proc.js';
import { postgresRunAs, type RunAs } from './run-as.js';

/** The bootstrap superuser of a data directory; the configured user is created beside it. */
const BOOTSTRAP_USER = 'postgres';

export interface PgPlan {
  svc: PostgresService;
  bins: PgBinaries;
  runAs?: RunAs;
  dataDir: string;
  /** The data directory is under /var/lib/taskmaster (the `postgres` user cannot reach the project). */
  external: boolean;
  /** Where each start makes its socket directory (see NativePaths.socketPrefix). */
  socketPrefix: string;
  /** The socket directory of the server this plan started. */
  socketDir?: string;
  logFile: string;
  /** Set when a new data directory gets another major than services.<name>.version asks for. */
  substitute?: string;
}

/**
 * Finds binaries and the data directory. An existing data directory opens only with its own
 * major version, so that one is preferred over the configured one (a newer PostgreSQL
 * installed beside it changes nothing); it is refused only when no binaries of it exist.
 */
export async function planPostgres(svc: PostgresService, paths: NativePaths, projectRoot: string): Promise<PgPlan> {
  const runAs = await postgresRunAs();
  const { dir: dataDir, external } = await chooseDataDir(svc.name, paths, runAs, async (dir) => (await dataDirVersion(dir)) !== undefined);
  const existing = await dataDirVersion(dataDir);
  const { found, rejected } = await findPostgres({ wantMajor: existing ?? svc.version, projectRoot, quick: true });
  if (!found) throw missingBinary('postgres', rejected);
  if (existing !== undefined && existing !== found.major) {
    throw new TmError(
      'TM_PG_VERSION_MISMATCH',
      `the data directory ${dataDir} was created by PostgreSQL ${existing}, but the binaries found are ${found.major} (${found.bindir})`,
      {
        exit: EXIT.runtime,
        hint:
          `a data directory only opens with its own major version: install PostgreSQL ${existing}, ` +
          `or dump it with ${existing}'s pg_dump, tm down --volumes, and restore into ${found.major}`,
      },
    );
  }
  // Only a version the user asked for is worth a warning; unset means the newest installed.
  const substitute =
    existing === undefined && svc.version !== undefined && found.major !== svc.version
      ? `PostgreSQL ${svc.version} (services.${svc.name}.version) is not installed: the new data directory is PostgreSQL ${found.major} (${found.bindir})`
      : undefined;
  return { svc, bins: found, runAs, dataDir, external, socketPrefix: paths.socketPrefix, logFile: paths.logFile(svc.name), substitute };
}

export async function isInitialized(plan: PgPlan): Promise<boolean> {
  return (await dataDirVersion(plan.dataDir)) !== undefined;
}

/** The major version that created a data directory (its PG_VERSION file), or undefined when it has none. */
export async function dataDirVersion(dir: string): Promise<number | undefined> {
  return readFile(join(dir, 'PG_VERSION'), 'utf8').then(
    (v) => Number(v.trim()),
    () => undefined,
  );
}

/**
 * Where initdb builds a new data directory before it is renamed into place: a run killed
 * half-way leaves this, never a data directory that looks made but cannot start.
 */
export function initDir(dataDir: string): string {
  return `${dataDir}.initdb`;
}

/** initdb into a new data directory, owned by the user the server runs as. */
export async function initPostgres(plan: PgPlan, signal?: AbortSignal): Promise<void> {
  // Parents stay searchable (0755) for the server's user; the data directory itself is 0700.
  await dataParents({ dir: plan.dataDir, external: plan.external }, true);
  const owner = plan.runAs ?? self();
  const building = initDir(plan.dataDir);
  // Left by a run that was killed (one command at a time changes a stack: nobody else builds it).
  await removeOwnedDir(building, 0o700, [owner]);
  ensureOwnedDir(building, 0o700, owner);
  try {
    await runLogged(
      join(plan.bins.bindir, 'initdb'),
      ['-D', building, '-U', BOOTSTRAP_USER, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { logFile: plan.logFile, runAs: plan.runAs, signal },
    );
  } catch (err) {
    await rm(building, { recursive: true, force: true });
    if (signal?.aborted) throw err;
    throw new TmError('TM_INITDB_FAILED', `initdb failed: ${(err as Error).message}`, {
      exit: EXIT.runtime,
      hint: `see ${plan.logFile}`,
      cause: err,
    });
  }
  // Born with the data directory (before the rename), so a run killed before the init files
  // ran leaves them still to run; removed once they all have.
  if (plan.svc.initFiles?.length) await writeFile(join(building, INIT_PENDING), `${JSON.stringify({ done: [] })}\n`, { mode: 0o600 });
  // An empty directory in its place (an older tm made it first) is replaced by the rename.
  await rename(building, plan.dataDir);
}

/** In a data directory whose init files have not all run yet: the ones that have. */
const INIT_PENDING = 'taskmaster-init.json';

/** The init files still to run on this data directory (none once they have all run, or on one made without them). */
export async function pendingInit(plan: Pick<PgPlan, 'svc' | 'dataDir'>): Promise<string[]> {
  const text = await readFile(join(plan.dataDir, INIT_PENDING), 'utf8').catch(() => undefined);
  if (text === undefined) return [];
  let done: string[] = [];
  try {
    done = (JSON.parse(text) as { done?: string[] }).done ?? [];
  } catch {
    // A torn record: run them all again rather than none.
  }
  return (plan.svc.initFiles ?? []).filter((f) => !done.includes(f));
}

/**
 * Runs the init files of a new data directory, in order, as the app user in the app database
 * (as the official image runs /docker-entrypoint-initdb.d): each file in one implicit
 * transaction, its success recorded, so a failed one is run again (from itself on) by the
 * next `tm up` once fixed.
 */
export async function runInit(plan: Pick<PgPlan, 'svc' | 'dataDir' | 'socketDir'>, root: string, files: string[]): Promise<void> {
  const marker = join(plan.dataDir, INIT_PENDING);
  const { default: pg } = await import('pg');
  const client = new pg.Client({ host: socketOf(plan), port: plan.svc.port, user: plan.svc.user, database: plan.svc.database });
  await client.connect();
  try {
    const done = (plan.svc.initFiles ?? []).filter((f) => !files.includes(f));
    for (const file of files) {
      const sql = await readFile(join(root, file), 'utf8').catch((err: unknown) => {
        throw new TmError('TM_PG_INIT_UNREADABLE', `cannot read ${file} (services.${plan.svc.name}.init): ${errorText(err)}`, {
          exit: EXIT.config,
          cause: err,
        });
      });
      try {
        await client.query(sql);
      } catch (err) {
        const offset = serverOffset(err, sql, 0, sql.length) ?? (await locateFailingStatement(client, sql, err).catch(() => undefined));
        const at = offset === undefined ? undefined : lineColumn(sql, offset);
        throw new TmError('TM_PG_INIT_FAILED', `init file ${file} failed and was rolled back`, {
          exit: EXIT.migration,
          problems: [{ file, line: at?.line, column: at?.column, message: errorText(err) }],
          hint: `fix it and run tm up again: ${file} and the files after it run then (${done.length} before it stay applied)`,
          cause: err,
        });
      }
      done.push(file);
      await writePrivateFile(marker, `${JSON.stringify({ done })}\n`);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  await rm(marker, { force: true });
}

export async function startPostgres(plan: PgPlan): Promise<Daemon> {
  await dataParents({ dir: plan.dataDir, external: plan.external }, false);
  verifyOwnedDir(plan.dataDir, 0o750, plan.runAs ?? self());
  const lock = join(plan.dataDir, 'postmaster.pid');
  if (existsSync(lock)) await removeStaleLock(lock, plan.dataDir);
  // Synchronous on the way to the spawn: Postgres is what `tm up` waits for longest, and the
  // Redis start must not slip in between these steps. The socket directory is new at each
  // start (clients connect over it with trust authentication), so no one can have made it.
  plan.socketDir = makePrivateDir(plan.socketPrefix, plan.runAs ?? self());
  // pg_hba.conf (initdb --auth-host=scram-sha-256) admits TCP clients from loopback only, with a password.
  const address = listenAddress(plan.svc.host);
  const host = isIP(address) ? address : '127.0.0.1';
  return spawnDaemon(
    join(plan.bins.bindir, 'postgres'),
    [
      '-D',
      plan.dataDir,
      '-p',
      String(plan.svc.port),
      '-k',
      plan.socketDir,
      '-c',
      `listen_addresses=${host}`,
      '-c',
      'logging_collector=off',
      ...settingArgs(plan.svc).flatMap((s) => ['-c', s]),
    ],
    { logFile: plan.logFile, runAs: plan.runAs, env: { ...process.env, LC_ALL: 'C' } },
  );
}

/**
 * Removes the lock file (postmaster.pid) of a server that died uncleanly
 * (kill -9, a crash, power loss). Postgres removes one itself only when no process has its
 * PID: a zombie (PID 1 may reap the dead server late) or a program of the postgres user that
 * reused the PID makes it refuse to start. A live process whose working directory is this
 * data directory (the postmaster chdirs there), or one we cannot look at, keeps its lock.
 */
async function removeStaleLock(file: string, dataDir: string): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  // A standalone backend (postgres --single) writes its PID negated.
  const pid = Math.abs(Number(text.split('\n')[0]));
  if (Number.isInteger(pid) && pid > 0 && (await isAlive(pid))) {
    const cwd = await processCwd(pid);
    if (cwd === undefined || cwd === (await realpath(dataDir))) return;
  }
  await rm(file, { force: true });
}

/** Answers on the Unix socket as the bootstrap superuser: the server is up, roles may not be. */
export function bootstrapProbe(plan: PgPlan): Probe {
  return pgProbe(plan.svc.name, { host: socketOf(plan), port: plan.svc.port, user: BOOTSTRAP_USER, database: 'postgres' });
}

/** Creates (or updates) the configured user and database, over the Unix socket. */
export async function ensureRoleAndDatabase(plan: Pick<PgPlan, 'svc' | 'socketDir'>): Promise<void> {
  await asBootstrap(plan, async (client) => {
    const { user, password } = plan.svc;
    const role = client.escapeIdentifier(user);
    // Nothing of this session goes to the server log, whatever its logging settings; the
    // password itself is sent only as a SCRAM verifier in any case.
    await client.query("SET log_statement = 'none'; SET log_min_error_statement = 'panic'; SET log_min_duration_statement = -1");
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
    const pw = password ? ` PASSWORD ${client.escapeLiteral(scramVerifier(password))}` : '';
    if (exists.rowCount === 0) await client.query(`CREATE ROLE ${role} LOGIN SUPERUSER${pw}`);
    else await client.query(`ALTER ROLE ${role} LOGIN${pw}`);
    await createDatabase(client, plan.svc);
  });
}

/** Creates the configured database when it is missing (dropped since the role was set up), over the Unix socket. */
export async function ensureDatabase(plan: Pick<PgPlan, 'svc' | 'socketDir'>): Promise<void> {
  await asBootstrap(plan, (client) => createDatabase(client, plan.svc));
}

async function createDatabase(client: Client, svc: PostgresService): Promise<void> {
  const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [svc.database]);
  if (db.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(svc.database)} OWNER ${client.escapeIdentifier(svc.user)}`);
}

/** A session as the bootstrap superuser over the server's Unix socket (trust authentication). */
async function asBootstrap(plan: Pick<PgPlan, 'svc' | 'socketDir'>, work: (client: Client) => Promise<void>): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ host: socketOf(plan), port: plan.svc.port, user: BOOTSTRAP_USER, database: 'postgres' });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

function socketOf(plan: Pick<PgPlan, 'socketDir'>): string {
  if (!plan.socketDir) throw new Error('postgres was not started by this plan: no socket directory');
  return plan.socketDir;
}

/** A fingerprint of what ensureRoleAndDatabase set up, to skip it on a warm start. */
export function roleFingerprint(plan: PgPlan): string {
  // With the data directory and its system identifier (the first 8 bytes of pg_control, drawn
  // by initdb): a copied project, a new data directory or a stamp that came with the
  // repository never matches. Unreadable, it matches nothing, and the roles are set up again.
  let system: string;
  try {
    system = readFileSync(join(plan.dataDir, 'global', 'pg_control'))
      .subarray(0, 8)
      .toString('hex');
  } catch {
    system = randomUUID();
  }
  return JSON.stringify([plan.svc.user, plan.svc.password, plan.svc.database, plan.dataDir, system]);
}
