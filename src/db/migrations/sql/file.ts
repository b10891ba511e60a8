import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EXIT, TmError } from '../../../errors.js';
import { cannotRunInTransaction, isTransactionControl, splitStatements, transactionControl } from '../../sql-split.js';

/**
 * A versioned SQL migration as tm's runner sees it, whichever layout it was read from: a
 * layout turns its files into these, and history, plan and apply work on nothing else.
 */
export interface MigrationFile {
  /** Leading digits of the file name (dotted in Flyway's names), compared numerically. */
  version: string;
  /** The rest of the name, e.g. `create_users`. */
  name: string;
  /** Path relative to the project root, for messages. */
  path: string;
  /** sha256 recorded in the history (dbmate's files: of the file with CRLF normalised to LF). */
  checksum: string;
  up: Section;
  down?: Section;
  /** A `-- migrate:down` marker with no SQL under it (as `tm db new` writes it). */
  emptyDown?: boolean;
}

/** One direction of a migration, with where it is, so a server position becomes file:line:column. */
export interface Section {
  sql: string;
  /** The file holding the section (relative to the project root) and that file's text. */
  path: string;
  text: string;
  /** Offset of the section's SQL within that text. */
  offset: number;
  /** `transaction:false`: statements run one at a time, outside a transaction. */
  transaction: boolean;
}

/**
 * Numeric comparison of versions: digit strings of any length, or dotted ones (Flyway's
 * `1.2.10`), compared part by part, a missing part counting as 0.
 */
export function compareVersions(a: string, b: string): number {
  if (!a.includes('.') && !b.includes('.')) return compareDigits(a, b);
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const c = compareDigits(x[i] ?? '0', y[i] ?? '0');
    if (c !== 0) return c;
  }
  return 0;
}

function compareDigits(a: string, b: string): number {
  // Digit strings compare as numbers by length, then by text (no BigInt per comparison:
  // sorting 500 versions is thousands of comparisons).
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
}

/**
 * A version as the history records it: each part without leading zeros (`007` is `7`), and
 * without trailing zero parts (`1.0` is `1`, as Flyway compares them).
 */
export function normalizeVersion(v: string): string {
  const parts = v.split('.').map((p) => BigInt(p).toString());
  while (parts.length > 1 && parts.at(-1) === '0') parts.pop();
  return parts.join('.');
}

/** The next whole version after `v` (of a dotted one, after its first part), keeping its zero padding. */
export function nextVersion(v: string): string {
  const first = v.split('.')[0]!;
  return (BigInt(first) + 1n).toString().padStart(first.length, '0');
}

/** What the history records of a file: sha256 of its text with CRLF normalised to LF. */
export function checksumOf(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex');
}

/** Whether `sql` holds anything but comments and blanks. */
export function hasSql(sql: string): boolean {
  return (
    sql
      .replace(/--[^\n]*/g, '')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .trim() !== ''
  );
}

/** Names of the entries in `dir`; a missing folder has none. */
export function fileNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * A whole file as one section (golang-migrate's and Flyway's files have no markers), with
 * the BEGIN/COMMIT it may wrap itself in left to tm's own transaction. A file holding a
 * statement Postgres refuses in a transaction (CREATE INDEX CONCURRENTLY) runs outside
 * one, as those tools run it.
 */
export function fileSection(dir: string, root: string, name: string, transaction = true): Section {
  const path = relative(root, join(dir, name)) || name;
  const text = readFileSync(join(dir, name), 'utf8');
  const section = unwrapTransaction({ sql: text, path, text, offset: 0, transaction });
  return transaction && splitStatements(section.sql).some((s) => cannotRunInTransaction(s.sql)) ? { ...section, transaction: false } : section;
}

/**
 * A section written as one explicit transaction (`BEGIN; ... COMMIT;`, common in
 * golang-migrate files, which run as one query): the statements inside it, since tm wraps
 * each section in its own transaction. Any other use of transaction control is left for the
 * planner to refuse.
 */
export function unwrapTransaction(section: Section): Section {
  const stmts = splitStatements(section.sql);
  if (stmts.length < 2) return section;
  const first = stmts[0]!;
  const last = stmts.at(-1)!;
  const opens = ['BEGIN', 'START'].includes(transactionControl(first.sql) ?? '');
  const commits = ['COMMIT', 'END'].includes(transactionControl(last.sql) ?? '');
  if (!opens || !commits) return section;
  if (stmts.slice(1, -1).some((s) => isTransactionControl(s.sql))) return section;
  const from = section.sql.indexOf(';', first.offset + first.sql.length) + 1;
  return { ...section, sql: section.sql.slice(from, last.offset), offset: section.offset + from };
}

/** Sorts by version; two files with one version are refused (the history keys on it). */
export function inVersionOrder(files: MigrationFile[]): MigrationFile[] {
  const sorted = [...files].sort((a, b) => compareVersions(a.version, b.version));
  for (let i = 1; i < sorted.length; i++) {
    if (compareVersions(sorted[i - 1]!.version, sorted[i]!.version) === 0) {
      throw new TmError('TM_MIGRATION_DUPLICATE', `two migrations have version ${sorted[i]!.version}: ${sorted[i - 1]!.path} and ${sorted[i]!.path}`, {
        exit: EXIT.migration,
        hint: 'rename one of them (tm db new NAME writes a fresh timestamp)',
      });
    }
  }
  return sorted;
}

/** What an SQL layout supplies: its files. tm's history table, planner and runner do the rest. */
export interface SqlFiles {
  /** The layout: `dbmate`, `golang-migrate`, `flyway`. */
  format: string;
  /** The folder (absolute). */
  dir: string;
  /** Versions may have dotted parts (Flyway's `1.1`). */
  dotted?: boolean;
  /** The files, parsed, in version order. */
  read(): Promise<MigrationFile[]>;
  /** Whether the folder holds any migration file (names only, nothing read). */
  any(): boolean;
  /** `.sql` files in the folder that are not migrations (no version prefix): never applied, so worth a warning. */
  ignored?(): string[];
  /** Writes a new, empty migration; returns its path relative to the project root. */
  newFile?(name: string, now?: Date): Promise<string>;
}
