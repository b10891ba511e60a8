import { spawn } from 'node:child_process';
import { EXIT, TmError } from '../../errors.js';
import { connectionOf, withClient, type DatabaseTarget } from '../connect.js';
import { cloneDatabase, databaseName, dropDatabase, readPrivileges, requirePrivileges, terminateConnections, withMaintenance } from './databases.js';

// One way to copy a database, for every command that starts from a copy (a new stack of a
// worktree, a branch database): CREATE DATABASE ... TEMPLATE when both live on one server
// (a file-level copy inside the server), else pg_dump streamed into pg_restore between the
// two servers, in one transaction on the receiving side, so a failed copy leaves nothing.

/** The variables pg_dump and pg_restore read their connection from (never their arguments: the password would show in `ps`). */
export const CLIENT_ENV = ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE'] as const;

/**
 * pg_dump and pg_restore as one server's side runs them: the server's own binaries (local
 * ones, or those inside its container), so their version always suits that server.
 */
export interface ClientTools {
  /** The command line that runs `program`; it must pass CLIENT_ENV through (docker exec -e NAME). */
  command(program: 'pg_dump' | 'pg_restore'): string[];
  /** How the program reaches the server from where it runs. */
  host: string;
  port: number;
  /** More environment for the command (DOCKER_HOST). */
  env?: Record<string, string>;
}

/** One side of a copy: the database, and the client tools of its server (for a copy between servers). */
export interface CopyEnd {
  target: DatabaseTarget;
  tools?: ClientTools;
}

export interface CopyResult {
  /** `template`: one server, CREATE DATABASE ... TEMPLATE; `dump`: pg_dump streamed into pg_restore. */
  method: 'template' | 'dump';
  /** Bytes of the dump that crossed between the servers (0 for a template copy). */
  bytes: number;
}

/** True when both URLs reach the same server (host and port as pg reads them). */
export function sameServer(a: DatabaseTarget, b: DatabaseTarget): boolean {
  const x = connectionOf(a);
  const y = connectionOf(b);
  return x.host === y.host && (x.config.port ?? 5432) === (y.config.port ?? 5432);
}

/**
 * Copies the database of `from` into `to`, which must hold nothing of value (the caller
 * checks it is empty): replaced by a template copy on one server, filled by a streamed
 * dump and restore between two.
 */
export async function copyDatabase(from: CopyEnd, to: CopyEnd, signal?: AbortSignal): Promise<CopyResult> {
  if (sameServer(from.target, to.target)) {
    const source = databaseName(from.target);
    const db = databaseName(to.target);
    await withMaintenance(to.target, 'copy', async (client) => {
      const me = await readPrivileges(client, [source, db]);
      requirePrivileges(client, me, { createdb: true, own: [source], command: 'copying a database' });
      // A template must have no other sessions: the copy is of that moment.
      await terminateConnections(client, source);
      if (me.databases.has(db)) await dropDatabase(client, db);
      await cloneDatabase(client, db, source, `${db} does not exist now; run the command again`);
    });
    return { method: 'template', bytes: 0 };
  }
  if (!from.tools || !to.tools) throw new TmError('TM_INTERNAL', 'a copy between two servers needs the client tools of both', { exit: EXIT.internal });
  return { method: 'dump', bytes: await streamDump(from as Required<CopyEnd>, to as Required<CopyEnd>, signal) };
}

/** True when the database has no table, view, sequence or function of its own (only what a new database has). */
export async function isEmptyDatabase(target: DatabaseTarget): Promise<boolean> {
  return withClient(target, 'copy', async (client) => {
    const { rows } = await client.query<{ n: number }>(
      `SELECT ((SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%')
            + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
            + (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'))::int AS n`,
    );
    return rows[0]!.n === 0;
  });
}

/** What pg_dump and pg_restore get in their environment to reach `end`'s database. */
function clientEnv(end: Required<CopyEnd>): Record<string, string> {
  const { config } = connectionOf(end.target);
  return {
    ...end.tools.env,
    PGHOST: end.tools.host,
    PGPORT: String(end.tools.port),
    PGUSER: String(config.user ?? 'postgres'),
    PGPASSWORD: String(config.password ?? ''),
    PGDATABASE: databaseName(end.target),
  };
}

/**
 * pg_dump (custom format, uncompressed: both ends are on this machine) piped into pg_restore
 * in one transaction, stopping at the first error; ownership and grants are left out, so the
 * objects belong to the receiving stack's own user.
 */
async function streamDump(from: Required<CopyEnd>, to: Required<CopyEnd>, signal?: AbortSignal): Promise<number> {
  const [dumpFile, ...dumpArgs] = from.tools.command('pg_dump');
  const [restoreFile, ...restoreArgs] = to.tools.command('pg_restore');
  const dump = spawn(dumpFile!, [...dumpArgs, '--format=custom', '--compress=0', '--no-owner', '--no-privileges'], {
    env: { ...process.env, ...clientEnv(from) },
    stdio: ['ignore', 'pipe', 'pipe'],
    signal,
  });
  const restore = spawn(
    restoreFile!,
    [...restoreArgs, '--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', `--dbname=${databaseName(to.target)}`],
    {
      env: { ...process.env, ...clientEnv(to) },
      stdio: ['pipe', 'ignore', 'pipe'],
      signal,
    },
  );
  let bytes = 0;
  dump.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  dump.stdout.pipe(restore.stdin);
  // A restore that ends first (an error) closes its input: the dump then fails on a closed pipe.
  restore.stdin.on('error', () => undefined);
  const [dumped, restored] = await Promise.all([finished(dump, 'pg_dump'), finished(restore, 'pg_restore')]);
  const failed = [restored, dumped].find((r) => r.code !== 0);
  if (failed) {
    throw new TmError(
      'TM_COPY_FAILED',
      `copying ${databaseName(from.target)} (${from.target.source}) failed in ${failed.program}: ${failed.lastLine || `exit code ${failed.code}`}`,
      {
        exit: EXIT.migration,
        details: failed.lines.slice(-5),
        hint: `nothing was restored (one transaction); fix the cause and run the command again`,
      },
    );
  }
  return bytes;
}

interface Ended {
  program: string;
  code: number | null;
  lines: string[];
  lastLine: string;
}

function finished(child: ReturnType<typeof spawn>, program: string): Promise<Ended> {
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString('utf8')).slice(-8192);
  });
  return new Promise((resolve) => {
    child.once('error', (e: NodeJS.ErrnoException) => resolve({ program, code: -1, lines: [e.message], lastLine: e.message }));
    child.once('close', (code) => {
      const lines = err.split('\n').filter((l) => l.trim() !== '');
      resolve({ program, code, lines, lastLine: lines.find((l) => /error/i.test(l)) ?? lines.at(-1) ?? '' });
    });
  });
}
