import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PassThrough, type Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Config } from '../config/load.js';
import type { PostgresService } from '../config/schema.js';
import { connectionOf, type DatabaseTarget } from '../db/connect.js';
import { replaceWithImport, type ReplaceResult } from '../db/admin/import.js';
import { EXIT, TmError } from '../errors.js';
import type { Runtime } from '../runtime/types.js';
import type { Launch } from '../util/foreground.js';
import { prepareCommand, serviceOfKind } from './service-command.js';

// `tm db dump` and `tm db import`: the database as a file, through pg_dump, psql and
// pg_restore of the server's own installation (in its container on Docker), the password in
// their environment. The bytes stream through tm (gzip here, with zlib), never whole in memory.

/** What a file name says about its content. */
export interface DumpFormat {
  /** pg_dump's custom format (`.dump`), else plain SQL (`.sql`). */
  custom: boolean;
  gzip: boolean;
}

/** The format of `file` by its extension: .sql, .dump, each optionally .gz; stdout (`-`) is plain SQL. */
export function dumpFormat(file: string | undefined): DumpFormat {
  if (file === undefined || file === '-') return { custom: false, gzip: false };
  const name = basename(file).toLowerCase();
  const gzip = name.endsWith('.gz');
  const base = gzip ? name.slice(0, -3) : name;
  if (base.endsWith('.sql')) return { custom: false, gzip };
  if (base.endsWith('.dump')) return { custom: true, gzip };
  throw new TmError('TM_DUMP_FORMAT', `cannot tell the format of ${file} from its name`, {
    exit: EXIT.usage,
    hint: 'name it .sql (plain SQL) or .dump (pg_dump custom format), with .gz to compress: e.g. db.sql.gz',
  });
}

/** Progress of a transfer: bytes so far. */
export type OnBytes = (bytes: number) => void;

export interface DumpResult {
  file: string;
  format: 'sql' | 'custom';
  gzip: boolean;
  bytes: number;
}

/**
 * Writes the database to `file` (`-`: `stdout`). A file is written beside itself and renamed
 * once pg_dump succeeded, so a failed dump leaves no half file and an older dump intact.
 */
export async function dumpDatabase(
  runtime: Runtime,
  svc: PostgresService,
  target: DatabaseTarget,
  file: string | undefined,
  io: { stdout: Writable; onBytes?: OnBytes },
): Promise<DumpResult> {
  const fmt = dumpFormat(file);
  const launch = await toolLaunch(runtime, svc, target, ['pg_dump', '--no-owner', '--no-privileges', ...(fmt.custom ? ['-Fc'] : [])]);
  const toFile = file !== undefined && file !== '-';
  const partial = toFile ? join(dirname(file), `.${basename(file)}.${process.pid}.partial`) : undefined;
  const sink = partial ? createWriteStream(partial, { mode: 0o600 }) : io.stdout;
  const counter = byteCounter(io.onBytes);
  try {
    await runTool(launch, 'pg_dump', {
      output: (out) => (fmt.gzip ? pipeline(out, createGzip(), counter, sink, { end: toFile }) : pipeline(out, counter, sink, { end: toFile })),
    });
    if (partial) await rename(partial, file!);
  } finally {
    if (partial) await rm(partial, { force: true });
  }
  return { file: toFile ? file! : '-', format: fmt.custom ? 'custom' : 'sql', gzip: fmt.gzip, bytes: counter.bytes };
}

export interface ImportResult extends ReplaceResult {
  file: string;
  format: 'sql' | 'custom';
  bytes: number;
}

/** The format of a file to import, once it is known to be one (checked before asking). */
export async function importFormat(file: string): Promise<DumpFormat> {
  const fmt = dumpFormat(file);
  if (!existsSync(file) || !(await stat(file)).isFile()) {
    throw new TmError('TM_NO_FILE', `${file}: no such file`, { exit: EXIT.usage, hint: 'tm db dump FILE writes one' });
  }
  return fmt;
}

/** Replaces the database with the content of `file` (reset's guards and turn: db/admin/import.ts). */
export async function importDatabase(
  runtime: Runtime,
  svc: PostgresService,
  target: DatabaseTarget,
  file: string,
  opts: { force: boolean; onBytes?: OnBytes },
): Promise<ImportResult> {
  const fmt = await importFormat(file);
  const counter = byteCounter(opts.onBytes);
  const result = await replaceWithImport(target, opts.force, async (database) => {
    // One transaction: a file that fails half-way leaves the new database empty, not half full.
    const argv = fmt.custom
      ? ['pg_restore', '--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', '-d', database]
      : ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-o', '/dev/null'];
    const launch = await toolLaunch(runtime, svc, target, argv);
    await runTool(launch, argv[0]!, {
      input: (stdin) => (fmt.gzip ? pipeline(createReadStream(file), counter, createGunzip(), stdin) : pipeline(createReadStream(file), counter, stdin)),
    });
  });
  return { ...result, file, format: fmt.custom ? 'custom' : 'sql', bytes: counter.bytes };
}

/**
 * A Postgres tool run for the service as the target's role, on the target's database (as
 * `--database-url` or DATABASE_URL name them, on the service's server).
 */
async function toolLaunch(runtime: Runtime, svc: PostgresService, target: DatabaseTarget, argv: string[]): Promise<Launch> {
  const launch = await prepareCommand(runtime, svc, argv, { tty: false, server: true });
  const { config, database } = connectionOf(target);
  const role = {
    PGUSER: config.user ?? svc.user,
    PGDATABASE: target.database ?? database ?? svc.database,
    ...(typeof config.password === 'string' ? { PGPASSWORD: config.password } : {}),
  };
  return { ...launch, env: { ...launch.env, ...role } };
}

/** The project's Postgres service the target is on: the one listening on its port, else the first. */
export function serviceOfTarget(config: Config, target: DatabaseTarget): PostgresService {
  const port = Number(connectionOf(target).config.port ?? 5432);
  const onPort = config.services.find((s): s is PostgresService => s.kind === 'postgres' && s.port === port);
  return onPort ?? (serviceOfKind(config, 'postgres') as PostgresService);
}

/** Runs a tool with its stdout or stdin streamed; its stderr becomes the error's details when it fails. */
async function runTool(
  launch: Launch,
  tool: string,
  io: { output?: (out: Readable) => Promise<void>; input?: (stdin: Writable) => Promise<void> },
): Promise<void> {
  const child = spawn(launch.file, launch.args, { env: launch.env, cwd: launch.cwd, stdio: [io.input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
  if (!io.output) child.stdout!.pipe(new PassThrough().resume());
  // A tool that exits early closes its stdin: the write error is the tool's failure, reported below.
  const streamed = Promise.all([io.output?.(child.stdout!), io.input?.(child.stdin!)]).catch((err: unknown) => err);
  let code: number;
  try {
    code = await exited;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TmError('TM_CLIENT_MISSING', `${tool} was not found on this machine`, {
        exit: EXIT.runtime,
        hint: 'install it: apt-get install postgresql-client (Debian/Ubuntu), brew install libpq (macOS)',
      });
    }
    throw err;
  }
  const failed = await streamed;
  if (code !== 0) {
    const lines = stderr.join('').trim().split('\n').filter(Boolean);
    throw new TmError('TM_DUMP_FAILED', `${tool} failed (exit code ${code})${lines[0] ? `: ${lines[0]}` : ''}`, {
      exit: EXIT.migration,
      details: lines.slice(1, 10),
      hint: tool === 'pg_dump' ? 'nothing was written' : 'the import ran in one transaction: the database is left empty; fix the file and import again',
    });
  }
  if (failed instanceof Error) throw failed;
}

/** Counts the bytes that pass, on the file's side (compressed when the file is). */
function byteCounter(onBytes?: OnBytes): Transform & { bytes: number } {
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      counter.bytes += chunk.length;
      onBytes?.(counter.bytes);
      done(null, chunk);
    },
  }) as Transform & { bytes: number };
  counter.bytes = 0;
  return counter;
}
