import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { open, readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import type { Client } from 'pg';
import type { Config } from '../../config/load.js';
import { EXIT, TmError, errorText } from '../../errors.js';
import { connectionOf, withClient, type DatabaseTarget } from '../connect.js';
import { SEED_LOCK_KEY, withAdvisoryLock } from '../lock.js';
import { builtScript } from '../../util/package-root.js';
import { slugOf, writeNew } from '../new-file.js';
import { locateFailingStatement, serverOffset } from '../sql-errors.js';
import { lineColumn } from '../sql-split.js';
import { SEEDS_TABLE } from './tracking.js';

const KINDS = ['.sql', '.js', '.mjs', '.ts', '.csv'] as const;

export interface SeedFile {
  /** Path relative to the project root; also the tracking key. */
  path: string;
  file: string;
  kind: (typeof KINDS)[number];
  checksum: string;
}

export interface SeedResult {
  env: string;
  ran: { path: string; duration_ms: number; rows?: number }[];
  skipped: string[];
}

/** The environment seeds are chosen for: --env, then TM_ENV, then development. */
export function seedEnv(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const name = flag ?? env.TM_ENV ?? 'development';
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new TmError('TM_USAGE', `"${name}" is not an environment name`, { exit: EXIT.usage, hint: 'e.g. --env test' });
  return name;
}

/** `db/seeds/*` in name order, then `db/seeds/<env>/*`. */
export async function readSeeds(config: Config, env: string): Promise<SeedFile[]> {
  const dir = resolve(config.root, config.db.seeds);
  const out: SeedFile[] = [];
  for (const d of [dir, join(dir, env)]) {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    const names = entries
      .filter((e) => e.isFile() && (KINDS as readonly string[]).includes(extname(e.name)))
      .map((e) => e.name)
      .sort();
    for (const name of names) {
      const file = join(d, name);
      out.push({
        path: relative(config.root, file),
        file,
        kind: extname(name) as SeedFile['kind'],
        checksum: createHash('sha256')
          .update(await readFile(file))
          .digest('hex'),
      });
    }
  }
  return out;
}

/**
 * Runs seeds in order, each in its own transaction with its tracking row: an unchanged
 * seed (same content hash) does not run again; `reset` forgets the tracking first.
 */
export interface SeedOptions {
  env: string;
  /** Forget which seeds ran, and run them all. */
  reset?: boolean;
  onFile?: (path: string, ms: number) => void;
  /** Ctrl-C: stops waiting for another seed run. */
  signal?: AbortSignal;
}

/** How long a seed run waits for another one before it gives up (exit 5, naming the holder). */
const SEED_WAIT_MS = 60_000;

export async function seed(config: Config, target: DatabaseTarget, opts: SeedOptions): Promise<SeedResult> {
  const seeds = await readSeeds(config, opts.env);
  const result: SeedResult = { env: opts.env, ran: [], skipped: [] };
  if (seeds.length === 0) return result;
  // One seed run at a time per database: two would both find a seed new and run it twice.
  const lock = {
    lockTimeoutMs: SEED_WAIT_MS,
    signal: opts.signal,
    holds: 'another seed run',
    hint: 'wait for it to finish; a killed run frees the lock within seconds',
  };
  return withClient(target, 'seed', (client) => withAdvisoryLock(client, SEED_LOCK_KEY, lock, () => seedLocked(config, target, client, seeds, opts, result)));
}

/** The seeds that are new or changed run, each in its own transaction with its tracking row. */
async function seedLocked(
  config: Config,
  target: DatabaseTarget,
  client: Client,
  seeds: SeedFile[],
  opts: SeedOptions,
  result: SeedResult,
): Promise<SeedResult> {
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${SEEDS_TABLE} (path text PRIMARY KEY, checksum text ` +
      `NOT NULL, env text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  if (opts.reset) await client.query(`DELETE FROM ${SEEDS_TABLE}`);
  const done = new Map(
    (await client.query<{ path: string; checksum: string }>(`SELECT path, checksum FROM ${SEEDS_TABLE}`)).rows.map((r) => [r.path, r.checksum]),
  );
  for (const s of seeds) {
    if (done.get(s.path) === s.checksum) {
      result.skipped.push(s.path);
      continue;
    }
    const t = performance.now();
    const rows = await runSeed(config, target, client, s);
    const ms = performance.now() - t;
    opts.onFile?.(s.path, ms);
    result.ran.push({ path: s.path, duration_ms: Math.round(ms), rows });
  }
  return result;
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

const TRACK =
  `INSERT INTO ${SEEDS_TABLE} (path, checksum, env) VALUES ($1, $2, $3) ON CONFLICT ` +
  `(path) DO UPDATE SET checksum = EXCLUDED.checksum, env = EXCLUDED.env, applied_at = now()`;

async function runSeed(config: Config, target: DatabaseTarget, client: Client, s: SeedFile): Promise<number | undefined> {
  if (s.kind === '.ts') return runTsSeed(config, target, s);
  await client.query('BEGIN');
  try {
    let rows: number | undefined;
    if (s.kind === '.sql') {
      const sql = await readFile(s.file, 'utf8');
      try {
        await client.query(sql);
      } catch (err) {
        await client.query('ROLLBACK');
        const offset = serverOffset(err, sql, 0, sql.length) ?? (await locateFailingStatement(client, sql, err).catch(() => undefined));
        throw seedError(s, err, offset === undefined ? undefined : lineColumn(sql, offset));
      }
    } else if (s.kind === '.csv') rows = await copyCsv(client, s);
    else await runModule(client, s);
    await client.query(TRACK, [s.path, s.checksum, seedEnvOf(config, s)]);
    await client.query('COMMIT');
    return rows;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err instanceof TmError ? err : seedError(s, err);
  }
}

function seedEnvOf(config: Config, s: SeedFile): string {
  const rel = relative(resolve(config.root, config.db.seeds), s.file).split(/[\\/]/);
  return rel.length > 1 ? rel[0]! : 'all';
}

/** `.js` / `.mjs`: the default export receives the connected client (inside the transaction). */
async function runModule(client: Client, s: SeedFile): Promise<void> {
  // The seed itself, not a dependency: the checksum in the URL loads an edited file anew.
  const mod = (await import(`${pathToFileURL(s.file).href}?sha=${s.checksum}`)) as { default?: unknown };
  if (typeof mod.default !== 'function') {
    throw new TmError('TM_SEED_FAILED', `${s.path} has no default export function`, {
      exit: EXIT.migration,
      hint: 'export default async function (client) { await client.query(...) }',
    });
  }
  await (mod.default as (c: Client) => unknown)(client);
}

/**
 * `.csv`: the table named by the file (`01_users.csv` -> users), columns from the header row,
 * loaded with COPY. Into an empty table it copies directly; otherwise (a changed seed running
 * again) it copies into a temporary table of the same columns and merges from there, so a
 * rerun never fails on rows that are already there (see csvMerge).
 */
async function copyCsv(client: Client, s: SeedFile): Promise<number> {
  const table = basename(s.file, '.csv').replace(/^\d+[_-]/, '');
  const header = (await readFirstLine(s.file)).replace(/^\uFEFF/, '');
  const columns = parseCsvLine(header);
  if (!table || columns.length === 0) throw new TmError('TM_SEED_FAILED', `${s.path}: no header row with column names`, { exit: EXIT.migration });
  const target = table
    .split('.')
    .map((p) => client.escapeIdentifier(p))
    .join('.');
  const cols = columns.map((c) => client.escapeIdentifier(c)).join(', ');
  const { rows } = await client.query<{ empty: boolean }>(`SELECT NOT EXISTS (SELECT FROM ${target}) AS empty`);
  let n: number;
  if (rows[0]!.empty) n = await copyFrom(client, s, `${target} (${cols})`);
  else {
    await client.query(`CREATE TEMP TABLE tm_seed_csv ON COMMIT DROP AS SELECT ${cols} FROM ${target} WITH NO DATA`);
    n = await copyFrom(client, s, `tm_seed_csv (${cols})`);
    await client.query(
      `INSERT INTO ${target} AS t (${cols}) OVERRIDING SYSTEM VALUE SELECT ${cols} FROM tm_seed_csv ${await csvMerge(client, target, columns)}`,
    );
  }
  await advanceSequences(client, target, columns);
  return n;
}

/**
 * COPY fills serial and identity columns without their sequences: as pg_dump's data does, each
 * such column's sequence is moved past the largest value now in the table, so the app's first
 * insert does not collide with a seeded id (a sequence already further stays where it is).
 */
async function advanceSequences(client: Client, target: string, columns: string[]): Promise<void> {
  for (const column of columns) {
    const { rows } = await client.query<{ seq: string | null }>('SELECT pg_get_serial_sequence($1, $2) AS seq', [target, column]);
    const seq = rows[0]?.seq;
    if (!seq) continue;
    await client.query(
      `SELECT setval($1::regclass, m) FROM (SELECT max(${client.escapeIdentifier(column)})::bigint AS m FROM ${target}) x
       WHERE m IS NOT NULL AND m > COALESCE(pg_sequence_last_value($1::regclass), 0)`,
      [seq],
    );
  }
}

/**
 * How a CSV row meets a row already there: matched on the primary key (else the first unique
 * key) when the CSV has all of its columns, the other columns are updated; with no such key
 * in the CSV, a row that would collide with any unique key is skipped.
 */
async function csvMerge(client: Client, target: string, columns: string[]): Promise<string> {
  const { rows } = await client.query<{ cols: string[] }>(
    `SELECT array_agg(a.attname::text ORDER BY k.ord) AS cols
       FROM pg_index i
       CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL AND k.ord <= i.indnkeyatts
      GROUP BY i.indexrelid, i.indisprimary
      ORDER BY i.indisprimary DESC, i.indexrelid`,
    [target],
  );
  const key = rows.map((r) => r.cols).find((k) => k.every((c) => columns.includes(c)));
  const rest = columns.filter((c) => !key?.includes(c));
  if (!key || rest.length === 0) return 'ON CONFLICT DO NOTHING';
  const id = (c: string) => client.escapeIdentifier(c);
  const row = (prefix: string) => `ROW(${rest.map((c) => `${prefix}.${id(c)}`).join(', ')})`;
  // Unchanged rows are left alone: no new row versions, no index updates for them.
  return (
    `ON CONFLICT (${key.map(id).join(', ')}) DO UPDATE SET ` +
    `${rest.map((c) => `${id(c)} = EXCLUDED.${id(c)}`).join(', ')} WHERE ${row('t')} IS DISTINCT FROM ${row('EXCLUDED')}`
  );
}

/** Streams the file through COPY ... FROM STDIN; an error names the CSV line the server reports. */
async function copyFrom(client: Client, s: SeedFile, into: string): Promise<number> {
  // Lazy: only CSV seeds need pg-copy-streams. CommonJS: the named export may only exist on the default export once bundled.
  const copyStreams = await import('pg-copy-streams');
  const from = copyStreams.from ?? (copyStreams as unknown as { default: typeof copyStreams }).default.from;
  const stream = client.query(from(`COPY ${into} FROM STDIN WITH (FORMAT csv, HEADER true)`));
  try {
    await pipeline(createReadStream(s.file), stream);
  } catch (err) {
    const where = /\bline (\d+)(?:, column ([^:]+))?/.exec((err as { where?: string }).where ?? '');
    throw seedError(s, err, where ? { line: Number(where[1]) } : undefined, where?.[2] && ` (column ${where[2]})`);
  }
  return stream.rowCount;
}

/** `.ts`: run through the project's own tsx, with a client of its own in one transaction. */
async function runTsSeed(config: Config, target: DatabaseTarget, s: SeedFile): Promise<undefined> {
  const tsx = join(config.root, 'node_modules', '.bin', 'tsx');
  if (!existsSync(tsx)) {
    throw new TmError('TM_SEED_NEEDS_TSX', `${s.path} is TypeScript, and this project has no tsx to run it`, {
      exit: EXIT.migration,
      hint: 'npm install --save-dev tsx (or write the seed as .mjs)',
    });
  }
  // Lazy: execa only for TypeScript seeds, which run in a child process.
  const { execa } = await import('execa');
  const r = await execa(tsx, [builtScript('db/seeds/tsx-runner.js')], {
    cwd: config.root,
    reject: false,
    env: {
      TM_SEED_URL: target.url,
      TM_SEED_SCHEMA: connectionOf(target).schema ?? '',
      TM_SEED_FILE: s.file,
      TM_SEED_TRACK: JSON.stringify([s.path, s.checksum, seedEnvOf(config, s)]),
      TM_SEED_SQL: TRACK,
    },
  });
  if (r.exitCode !== 0) throw seedError(s, new Error(String(r.stderr).trim().split('\n').at(-1) || `tsx exited ${r.exitCode}`));
  return undefined;
}

function seedError(s: SeedFile, err: unknown, at?: { line: number; column?: number }, note = ''): TmError {
  return new TmError('TM_SEED_FAILED', `seed ${s.path} failed and was rolled back`, {
    exit: EXIT.migration,
    problems: [{ file: s.path, line: at?.line, column: at?.column, message: errorText(err) + (note || '') }],
    hint: 'fix it and run tm db seed again; seeds before it stay applied',
    cause: err,
  });
}

async function readFirstLine(file: string): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8').split(/\r?\n/)[0] ?? '';
  } finally {
    await fh.close();
  }
}

/** One CSV line into fields ("" escapes a quote inside quotes). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out.filter((c) => c !== '');
}
