import { crc32 } from 'node:zlib';
import type { Client } from 'pg';
import { EXIT, TmError } from '../../../errors.js';
import { compareVersions, normalizeVersion, type MigrationFile } from './file.js';
import type { TakeoverSummary } from '../types.js';
import { HISTORY_TABLE, type AppliedMigration } from './history.js';

// Taking over a database whose migrations another tool applied: the first tm run reads that
// tool's history table and records the same migrations in tm's own, so nothing runs twice.
// The other tool's table is read, never changed.

/** The tools whose history tm imports. */
export type ForeignTool = 'dbmate' | 'golang-migrate' | 'flyway';

/** Another tool's history as tm would record it. */
export interface Takeover {
  from: ForeignTool;
  table: string;
  /** The rows for tm's history: the files that tool applied, with today's checksums. */
  rows: AppliedMigration[];
  /** Versions that tool recorded with no file here: not imported (tm would call them missing). */
  withoutFile: string[];
  /** Files whose checksum differs from the one that tool recorded: edited since it applied them. */
  changedSince: string[];
}

interface ForeignTable {
  tool: ForeignTool;
  table: string;
}

/**
 * The history another tool left in this database, as tm would import it; undefined when
 * there is none, or it records nothing applied. Refuses a history that records a migration left half-done (a dirty
 * golang-migrate version, a failed Flyway row), since tm cannot tell what of it ran.
 */
export async function readTakeover(client: Client, files: MigrationFile[], format: string): Promise<Takeover | undefined> {
  const found = await foreignTables(client);
  if (found.length === 0) return undefined;
  const table = found.length === 1 ? found[0]! : found.find((t) => t.tool === format);
  if (!table) {
    throw new TmError(
      'TM_HISTORY_AMBIGUOUS',
      `the database holds the history of ${found.map((t) => `${t.tool} (${t.table})`).join(' and ')}; tm cannot tell which to import`,
      {
        exit: EXIT.migration,
        hint: `rename the table that no longer describes this database (ALTER TABLE ... RENAME TO ..._old), then tm db migrate`,
      },
    );
  }
  const applied =
    table.tool === 'dbmate'
      ? await dbmateApplied(client)
      : table.tool === 'golang-migrate'
        ? await golangApplied(client, files)
        : await flywayApplied(client, files);
  const byVersion = new Map(files.map((f) => [f.version, f]));
  const rows: AppliedMigration[] = [];
  const withoutFile: string[] = [];
  const changedSince: string[] = [];
  for (const a of applied) {
    const f = byVersion.get(a.version);
    if (!f) withoutFile.push(a.version);
    else rows.push({ version: f.version, name: f.name, checksum: f.checksum, applied_at: a.at ?? new Date(), duration_ms: a.ms ?? 0 });
    if (f && a.sameFile && !a.sameFile(f)) changedSince.push(f.path);
  }
  // An empty history (the table made, nothing applied yet) has nothing to take over.
  if (applied.length === 0) return undefined;
  rows.sort((x, y) => compareVersions(x.version, y.version));
  return { from: table.tool, table: table.table, rows, withoutFile, changedSince };
}

/** Records the imported rows in tm's history (which exists and is empty), in one statement. */
export async function importTakeover(client: Client, takeover: Takeover): Promise<void> {
  const col = <K extends keyof AppliedMigration>(k: K) => takeover.rows.map((r) => r[k]);
  await client.query(
    `INSERT INTO ${HISTORY_TABLE} (version, name, checksum, applied_at, duration_ms)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::integer[])`,
    [col('version'), col('name'), col('checksum'), col('applied_at'), col('duration_ms')],
  );
}

/**
 * The history tables of other tools in the schema tm works in. dbmate and golang-migrate
 * both call theirs `schema_migrations`: dbmate's (like Rails') has only `version`,
 * golang-migrate's has `version` and `dirty`. A table of that name in another shape is
 * some other tool's, and left alone.
 */
async function foreignTables(client: Client): Promise<ForeignTable[]> {
  const { rows } = await client.query<{ table: string; columns: string[] }>(
    `SELECT c.relname::text AS table, array_agg(a.attname::text ORDER BY a.attname) AS columns
       FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.oid IN (to_regclass('schema_migrations'), to_regclass('flyway_schema_history'))
      GROUP BY c.relname`,
  );
  const out: ForeignTable[] = [];
  for (const { table, columns } of rows) {
    const shape = columns.join(',');
    if (table === 'schema_migrations' && shape === 'version') out.push({ tool: 'dbmate', table });
    else if (table === 'schema_migrations' && shape === 'dirty,version') out.push({ tool: 'golang-migrate', table });
    else if (table === 'flyway_schema_history' && ['installed_rank', 'success', 'type', 'version'].every((c) => columns.includes(c)))
      out.push({ tool: 'flyway', table });
  }
  return out;
}

interface Applied {
  version: string;
  at?: Date;
  ms?: number;
  /** A check of the file as it was applied (Flyway's checksum), where the tool recorded one. */
  sameFile?: (file: MigrationFile) => boolean;
}

/** dbmate records one row per applied file, by version. */
async function dbmateApplied(client: Client): Promise<Applied[]> {
  const { rows } = await client.query<{ version: string }>('SELECT version::text AS version FROM schema_migrations');
  return rows.map((r) => ({ version: /^\d+$/.test(r.version) ? normalizeVersion(r.version) : r.version }));
}

/**
 * golang-migrate keeps one row: the version the database is at (every file up to it is
 * applied), and whether the migration to it stopped half-way (`dirty`).
 */
async function golangApplied(client: Client, files: MigrationFile[]): Promise<Applied[]> {
  const { rows } = await client.query<{ version: string; dirty: boolean }>(
    'SELECT version::text AS version, dirty FROM schema_migrations ORDER BY version DESC',
  );
  const dirty = rows.find((r) => r.dirty);
  if (dirty) {
    const file = files.find((f) => f.version === dirty.version);
    const before = files.filter((f) => compareVersions(f.version, dirty.version) < 0).at(-1)?.version;
    throw new TmError(
      'TM_HISTORY_DIRTY',
      `golang-migrate's schema_migrations says migration ${dirty.version}${file ? ` (${file.path})` : ''} is dirty: it failed part-way; nothing was imported or run`,
      {
        exit: EXIT.migration,
        hint:
          `finish or undo by hand what it left half-done, then mark it: migrate force ${dirty.version} if it is now fully applied, ` +
          `or migrate force ${before ?? '<the version before it>'} to run it again (or UPDATE schema_migrations SET dirty = false, ` +
          `with the version to match); then tm db migrate`,
      },
    );
  }
  const at = rows[0]?.version;
  if (at === undefined || at.startsWith('-')) return []; // -1: golang-migrate's "no version"
  const applied: Applied[] = files.filter((f) => compareVersions(f.version, at) <= 0).map((f) => ({ version: f.version }));
  if (!applied.some((a) => a.version === at)) applied.push({ version: at });
  return applied;
}

interface FlywayRow {
  installed_rank: number;
  version: string | null;
  description: string | null;
  type: string;
  script: string | null;
  checksum: number | null;
  installed_on: Date | null;
  execution_time: number | null;
  success: boolean;
}

/**
 * Flyway's rows in the order it installed them: a versioned migration applies its version, a
 * BASELINE row stands for every version up to its own, an undo (UNDO_*) or a DELETE (what
 * `flyway repair` writes for a removed file) takes its version back. Repeatable rows (no
 * version) and the schema-creation marker are not migrations tm runs.
 */
async function flywayApplied(client: Client, files: MigrationFile[]): Promise<Applied[]> {
  const { rows } = await client.query<FlywayRow>(
    `SELECT installed_rank, version::text, description::text, type::text, script::text, checksum::integer, installed_on::timestamptz, execution_time::integer, success
       FROM flyway_schema_history ORDER BY installed_rank`,
  );
  const failed = rows.find((r) => !r.success);
  if (failed) {
    const what = failed.version ? `version ${failed.version} (${failed.script ?? failed.description})` : (failed.script ?? failed.description ?? 'a script');
    throw new TmError('TM_HISTORY_FAILED', `Flyway's flyway_schema_history records ${what} as failed (success = false); nothing was imported or run`, {
      exit: EXIT.migration,
      hint:
        `undo by hand what it left half-done, then remove the failed row: flyway repair, ` +
        `or DELETE FROM flyway_schema_history WHERE installed_rank = ${failed.installed_rank}; tm db migrate then runs it again`,
    });
  }
  const applied = new Map<string, Applied>();
  for (const r of rows) {
    if (r.version === null) continue;
    const version = normalizeVersion(r.version);
    if (r.type === 'BASELINE') {
      for (const f of files)
        if (compareVersions(f.version, version) <= 0 && !applied.has(f.version))
          applied.set(f.version, { version: f.version, at: r.installed_on ?? undefined });
    } else if (r.type.startsWith('UNDO') || r.type === 'DELETE') applied.delete(version);
    else if (r.type !== 'SCHEMA') {
      const recorded = r.checksum;
      const sameFile = r.type === 'SQL' && recorded !== null ? (f: MigrationFile) => flywayChecksum(f.up.text) === recorded : undefined;
      applied.set(version, { version, at: r.installed_on ?? undefined, ms: r.execution_time ?? undefined, sameFile });
    }
  }
  return [...applied.values()];
}

/**
 * Flyway's checksum of a script: CRC-32 of the UTF-8 bytes of its lines without their line
 * breaks (and without a byte-order mark), as a signed 32-bit integer, so line endings do
 * not count.
 */
export function flywayChecksum(text: string): number {
  return (
    crc32(
      text
        .replace(/^\uFEFF/, '')
        .split(/\r\n|\r|\n/)
        .join(''),
    ) | 0
  );
}

/**
 * The one line that says another tool's history was (or will be) taken over, e.g. "took over
 * the history of dbmate (schema_migrations): 3 applied migrations recorded in tm_schema_migrations".
 */
export function takeoverLine(t: TakeoverSummary, mode: 'done' | 'next migrate' | 'dry run'): string {
  const n = `${t.imported.length} applied migration${t.imported.length === 1 ? '' : 's'}`;
  const gone = t.without_file.length ? `; left out, with no file here: ${t.without_file.join(', ')}` : '';
  if (mode === 'next migrate') return `tm db migrate will take over the history of ${t.from} (${t.table}): its ${n} count as applied here${gone}`;
  const head = mode === 'done' ? 'took over' : 'would take over';
  const tail = mode === 'done' ? ` (${t.table} is left as it is)` : `: ${t.imported.join(', ') || 'none'}`;
  return `${head} the history of ${t.from} (${t.table}): ${n} recorded in ${HISTORY_TABLE}${tail}${gone}`;
}

/** A warning per file edited since the other tool applied it: tm records it as it is now. */
export function changedSinceWarnings(t: TakeoverSummary): string[] {
  return t.changed_since.map(
    (path) => `${path} was edited after ${t.from} applied it (its checksum differs from ${t.table}'s); tm records the file as it is now`,
  );
}
