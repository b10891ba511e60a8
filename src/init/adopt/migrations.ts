import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { MigrationLayout } from '../../config/schema.js';
import { layoutOfFolder } from '../../db/migrations/layouts.js';
import type { Finding } from './report.js';

// Which migrations folder a project has, and in which tool's layout: only as far as writing
// the `db:` section of taskmaster.yml needs (reading the files is the migrations module's job).

export type { MigrationLayout };

export interface FoundMigrations {
  layout: MigrationLayout;
  /** The folder of the files, relative to the project (Prisma: the folder holding schema.prisma and migrations/). */
  folder: string;
  files: number;
}

/** Folders migrations usually live in, checked first; then a bounded search. */
const USUAL = [
  'db/migrations',
  'migrations',
  'db/migration',
  'database/migrations',
  'sql/migrations',
  'src/main/resources/db/migration',
  'internal/db/migrations',
];
const SKIP = new Set(['node_modules', '.git', 'vendor', 'dist', 'build', '.taskmaster', 'target']);

/** Files that apply a migration (not golang-migrate's `.down.sql` nor Flyway's `U` undo files). */
const countApplied = (names: string[]) => names.filter((n) => n.endsWith('.sql') && !n.endsWith('.down.sql') && !/^U\d/.test(n)).length;

export function findMigrations(root: string): FoundMigrations | undefined {
  for (const prisma of ['prisma', 'db/prisma', 'src/prisma']) {
    const dir = join(root, prisma, 'migrations');
    if (!existsSync(dir)) continue;
    const folders = readdirSync(dir).filter((d) => existsSync(join(dir, d, 'migration.sql')));
    if (folders.length > 0 || existsSync(join(dir, 'migration_lock.toml'))) return { layout: 'prisma', folder: prisma, files: folders.length };
  }
  for (const folder of USUAL) {
    const found = inFolder(root, folder);
    if (found) return found;
  }
  return search(root, '', 0);
}

function inFolder(root: string, folder: string): FoundMigrations | undefined {
  const dir = join(root, folder);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  // The migrations module tells the layouts apart: one home for what each tool's files look like.
  const layout = layoutOfFolder(dir);
  if (layout === undefined || layout === 'prisma') return undefined;
  return { layout, folder, files: countApplied(readdirSync(dir)) };
}

function search(root: string, sub: string, depth: number): FoundMigrations | undefined {
  if (depth > 4) return undefined;
  let entries: string[];
  try {
    entries = readdirSync(join(root, sub)).sort();
  } catch {
    return undefined;
  }
  for (const e of entries) {
    if (SKIP.has(e) || e.startsWith('.')) continue;
    const rel = sub ? `${sub}/${e}` : e;
    if (!statSync(join(root, rel), { throwIfNoEntry: false })?.isDirectory()) continue;
    if (/migrat/i.test(e)) {
      const found = inFolder(root, rel);
      if (found) return found;
    }
    const deeper = search(root, rel, depth + 1);
    if (deeper) return deeper;
  }
  return undefined;
}

/**
 * The `db:` keys of taskmaster.yml for the folder. Prisma's is `db.prisma`, the SQL layouts'
 * `db.migrations`; golang-migrate's and Flyway's also name the layout, so a folder that later
 * holds only a file of another shape is still read as the team's tool wrote it.
 */
export function migrationsConfig(found: FoundMigrations): Record<string, string> {
  switch (found.layout) {
    case 'prisma':
      return { prisma: found.folder };
    case 'dbmate':
      return { migrations: found.folder };
    case 'golang-migrate':
    case 'flyway':
      return { migrations: found.folder, layout: found.layout };
  }
}

export function migrationsFinding(root: string, found: FoundMigrations): Finding {
  const keys = migrationsConfig(found);
  const where = found.layout === 'prisma' ? `${found.folder}/migrations` : found.folder;
  return {
    from: relative(root, join(root, where)) || where,
    to: Object.keys(keys)
      .map((k) => `db.${k}`)
      .join(', '),
    status: 'mapped',
    detail: `${found.files} ${found.layout} migration${found.files === 1 ? '' : 's'} (layout ${found.layout})`,
  };
}
