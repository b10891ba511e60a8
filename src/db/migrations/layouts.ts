import type { Config } from '../../config/load.js';
import type { MigrationLayout } from '../../config/schema.js';
import { dbmate } from './dbmate.js';
import { flyway } from './flyway.js';
import { golangMigrate } from './golang-migrate.js';
import { prisma } from './prisma.js';
import type { Layout, Migrations } from './types.js';

export { takeoverLine } from './sql/takeover.js';

/**
 * The layouts tm reads, asked in this order; the first that recognises the project wins.
 * golang-migrate's `1_a.up.sql` would also pass for a dbmate file, so it is asked first;
 * dbmate's takes every project (a missing folder has no migrations), so it stays last.
 */
const LAYOUTS: Layout[] = [prisma, golangMigrate, flyway, dbmate];

/** The migrations of this project: in the layout `db.layout` names, else the one its files are in. */
export async function openMigrations(config: Config): Promise<Migrations> {
  const chosen = config.db.layout;
  if (chosen) return LAYOUTS.find((l) => l.format === chosen)!.open(config);
  for (const layout of LAYOUTS) {
    const found = await layout.detect(config);
    if (found) return found;
  }
  throw new Error('no migrations layout recognised the project; the last one takes every project');
}

/**
 * The layout of the migrations in `dir` (a project's `db/migrations`, `prisma/migrations`,
 * Flyway's `src/main/resources/db/migration`...), from the file names; undefined when it
 * holds none.
 */
export function layoutOfFolder(dir: string): MigrationLayout | undefined {
  return LAYOUTS.find((l) => l.holds(dir))?.format;
}
