import { EXIT, TmError } from '../../../errors.js';

/**
 * A versioned SQL migration as tm's runner sees it, whichever layout it was read from: a
 * layout turns its files into these, and history, plan and apply work on nothing else.
 */
export interface MigrationFile {
  /** Leading digits of the file name, compared numerically. */
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

/** Numeric comparison of digit strings of any length. */
export function compareVersions(a: string, b: string): number {
  // Digit strings compare as numbers by length, then by text (no BigInt per comparison:
  // sorting 500 versions is thousands of comparisons).
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
}

/** A version as the history records it: without leading zeros (`007` is `7`). */
export function normalizeVersion(v: string): string {
  return BigInt(v).toString();
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
  /** The layout: `dbmate`. */
  format: string;
  /** The folder (absolute). */
  dir: string;
  /** The files, parsed, in version order. */
  read(): Promise<MigrationFile[]>;
  /** Whether the folder holds any migration file (names only, nothing read). */
  any(): boolean;
  /** `.sql` files in the folder that are not migrations (no version prefix): never applied, so worth a warning. */
  ignored?(): string[];
  /** Writes a new, empty migration; returns its path relative to the project root. */
  newFile?(name: string, now?: Date): Promise<string>;
}
