import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Config } from '../../config/load.js';
import { EXIT, TmError } from '../../errors.js';
import type { DatabaseTarget } from '../connect.js';
import { slugOf, writeNew } from '../new-file.js';
import {
  checksumOf,
  compareVersions,
  fileNames,
  hasSql,
  inVersionOrder,
  nextVersion,
  normalizeVersion,
  type MigrationFile,
  type Section,
  type SqlFiles,
} from './sql/file.js';
import { sqlFiles, sqlLayout, type SqlLayoutSpec } from './sql/layout.js';
import * as runner from './sql/runner.js';
import type { Layout, MigrateOptions, RollbackOptions, RunOptions } from './types.js';

// dbmate's layout, tm's own: `<dir>/<version>_<description>.sql`, where the version is the
// leading digits; sections start at `-- migrate:up` and `-- migrate:down` (a file without
// markers is all up), and `transaction:false` after a marker runs it outside a transaction.

const FILE = /^(\d+)_?(.*)\.sql$/;
const MARKER = /^--\s*migrate:(up|down)\b(.*)$/gm;

const spec: SqlLayoutSpec = {
  format: 'dbmate',
  isMigration: (n) => FILE.test(n),
  read: readMigrations,
  newFile: (config, _dir, name, now) => newMigration(config, name, now),
  takesAny: true,
};

/** Every project: without the folder it simply has no migrations. */
export const dbmate: Layout = sqlLayout(spec);

/** The project's files in this layout, in `db.migrations`. */
const dbmateFiles = (config: Config): SqlFiles => sqlFiles(spec, config);

// The runner over this layout's files, for code that knows the layout (no detection).
export const migrate = (config: Config, target: DatabaseTarget, opts?: MigrateOptions) => runner.migrate(dbmateFiles(config), target, opts);
export const rollback = (config: Config, target: DatabaseTarget, opts?: RollbackOptions) => runner.rollback(dbmateFiles(config), target, opts);
export const redo = (config: Config, target: DatabaseTarget, opts?: RunOptions) => runner.redo(dbmateFiles(config), target, opts);
export const migrationStatus = (config: Config, target: DatabaseTarget) => runner.migrationStatus(dbmateFiles(config), target);

function migrationsDir(config: Config): string {
  return resolve(config.root, config.db.migrations);
}

/** Reads `<dir>/<version>_<name>.sql` in version order; a missing folder has no migrations. */
export async function readMigrations(dir: string, root: string): Promise<MigrationFile[]> {
  // Synchronous reads: hundreds of small files read one by one take a fraction of the time
  // that as many promise round trips through libuv's thread pool take (10 ms against 60 ms
  // for 500 files here), and a CLI has nothing else to do meanwhile.
  return inVersionOrder(
    migrationFileNames(dir).map((n) => {
      const path = join(dir, n);
      return parseMigration(n, relative(root, path) || n, readFileSync(path, 'utf8'));
    }),
  );
}

/** Names of the migration files in `dir`; a missing folder has none. */
function migrationFileNames(dir: string): string[] {
  return fileNames(dir).filter((n) => FILE.test(n));
}

/** The newest version among the file names in `dir` (contents not read). */
function newestVersion(dir: string): string | undefined {
  return migrationFileNames(dir)
    .map((n) => normalizeVersion(FILE.exec(n)![1]!))
    .sort(compareVersions)
    .at(-1);
}

/** One file: `fileName` gives version and name, `path` is for messages. */
export function parseMigration(fileName: string, path: string, text: string): MigrationFile {
  const m = FILE.exec(fileName)!;
  const checksum = checksumOf(text);
  const markers = [...text.matchAll(MARKER)];
  const base = { version: normalizeVersion(m[1]!), name: m[2] ?? '', path, checksum };
  const section = (sql: string, offset: number, transaction: boolean): Section => ({ sql, path, text, offset, transaction });
  if (markers.length === 0) return { ...base, up: section(text, 0, true) };
  const sections: Partial<Record<'up' | 'down', Section>> = {};
  markers.forEach((mk, i) => {
    const kind = mk[1] as 'up' | 'down';
    const start = mk.index! + mk[0].length;
    const end = markers[i + 1]?.index ?? text.length;
    if (sections[kind]) {
      throw new TmError('TM_MIGRATION_INVALID', `${path}: more than one "-- migrate:${kind}" marker`, { exit: EXIT.migration });
    }
    sections[kind] = section(text.slice(start, end), start, !/\btransaction:\s*false\b/.test(mk[2] ?? ''));
  });
  if (!sections.up) {
    throw new TmError('TM_MIGRATION_INVALID', `${path}: has "-- migrate:down" but no "-- migrate:up"`, {
      exit: EXIT.migration,
      hint: 'put the forward SQL under a "-- migrate:up" line',
    });
  }
  const down = sections.down && hasSql(sections.down.sql) ? sections.down : undefined;
  return { ...base, up: sections.up, down, ...(sections.down && !down ? { emptyDown: true } : {}) };
}

/**
 * Writes `<dir>/YYYYMMDDHHMMSS_<name>.sql` with both markers. The stamp is the current time,
 * or one second past the newest file when that is not older (two in the same second).
 */
export async function newMigration(config: Config, name: string, now = new Date()): Promise<string> {
  const slug = slugOf(name);
  // A Prisma schema whose migrations folder is not there yet: an SQL file here would never be applied once it is.
  const schema = join(config.root, config.db.prisma ?? 'prisma', 'schema.prisma');
  if (existsSync(schema)) {
    throw new TmError(
      'TM_PRISMA_UNSUPPORTED',
      `${relative(config.root, schema)} is Prisma's, but it has no migrations folder yet: an SQL file in ${config.db.migrations} would not be applied`,
      {
        exit: EXIT.usage,
        hint: `prisma migrate dev --create-only --name ${slug} writes the first migration (prisma/migrations/<timestamp>_${slug}/migration.sql); tm db new writes the next ones`,
      },
    );
  }
  const newest = newestVersion(migrationsDir(config));
  return writeNew(config, migrationsDir(config), `${nextStamp(now, newest)}_${slug}.sql`, `-- migrate:up\n\n\n-- migrate:down\n\n`);
}

const formatStamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14);

export function nextStamp(now: Date, newest?: string): string {
  const stamp = formatStamp(now);
  if (newest === undefined || compareVersions(newest, stamp) < 0) return stamp;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(newest);
  const t = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
  // A newest version that is not a timestamp (or one a clock ahead wrote) still sorts first.
  return Number.isFinite(t) && formatStamp(new Date(t)) === newest ? formatStamp(new Date(t + 1000)) : (BigInt(newest) + 1n).toString();
}

/**
 * The version of a new file after `newest`: the next number, with the same zero padding,
 * where the folder numbers its files in sequence (`0001`, `2`, `1.3`); else the current time
 * as nextStamp gives it.
 */
export function followingVersion(now: Date, newest: string | undefined): string {
  return newest !== undefined && newest.split('.')[0]!.length < 10 ? nextVersion(newest) : nextStamp(now, newest);
}
