import { join, relative } from 'node:path';
import type { Config } from '../../config/load.js';
import { EXIT, TmError } from '../../errors.js';
import { slugOf, writeNew } from '../new-file.js';
import { followingVersion } from './dbmate.js';
import { checksumOf, compareVersions, fileNames, fileSection, hasSql, inVersionOrder, normalizeVersion, type MigrationFile } from './sql/file.js';
import { sqlLayout } from './sql/layout.js';
import type { Layout } from './types.js';

// golang-migrate's layout: pairs `<version>_<name>.up.sql` / `<version>_<name>.down.sql` in
// one folder; the down file is optional. golang-migrate sends each file to the server as one
// query, so a file may wrap itself in BEGIN/COMMIT: tm runs what is inside in its own
// transaction instead.

const FILE = /^(\d+)_(.*)\.(up|down)\.sql$/;

/** A folder with at least one `<version>_<name>.up.sql` or `.down.sql` file. */
export const golangMigrate: Layout = sqlLayout({
  format: 'golang-migrate',
  isMigration: (n) => FILE.test(n),
  read: async (dir, root) => readPairs(dir, root),
  newFile: newPair,
});

/** The pairs in version order; a down file without its up file is refused (golang-migrate would fail on it too). */
function readPairs(dir: string, root: string): MigrationFile[] {
  const byVersion = new Map<string, { name: string; up?: string; down?: string }>();
  for (const n of fileNames(dir)) {
    const m = FILE.exec(n);
    if (!m) continue;
    const version = normalizeVersion(m[1]!);
    const pair = byVersion.get(version) ?? { name: m[2]! };
    if (pair[m[3] as 'up' | 'down'] !== undefined || pair.name !== m[2]) {
      const other = pair.up ?? pair.down;
      throw new TmError('TM_MIGRATION_DUPLICATE', `${n} and ${other} have one version (${version}) in ${relative(root, dir) || '.'}`, {
        exit: EXIT.migration,
        hint: 'each version has one <version>_<name>.up.sql and at most one .down.sql of the same name: rename or renumber one of them',
      });
    }
    pair[m[3] as 'up' | 'down'] = n;
    byVersion.set(version, pair);
  }
  const files: MigrationFile[] = [];
  for (const [version, pair] of byVersion) {
    if (!pair.up) {
      throw new TmError('TM_MIGRATION_INVALID', `${relative(root, join(dir, pair.down!))} has no ${pair.down!.replace(/\.down\.sql$/, '.up.sql')} beside it`, {
        exit: EXIT.migration,
        hint: 'add the up file, or remove the down file',
      });
    }
    const up = fileSection(dir, root, pair.up);
    const down = pair.down === undefined ? undefined : fileSection(dir, root, pair.down);
    files.push({
      version,
      name: pair.name,
      path: up.path,
      checksum: checksumOf(up.text),
      up,
      // `migrate create` writes an empty down file: nothing to roll back with.
      ...(down && hasSql(down.sql) ? { down } : down ? { emptyDown: true } : {}),
    });
  }
  return inVersionOrder(files);
}

/**
 * Writes `<version>_<name>.up.sql` and `.down.sql`, as `migrate create` does: the next number
 * with the same zero padding where the folder numbers its files in sequence (`-seq`), else
 * the current time (one second past the newest file when that is not older).
 */
async function newPair(config: Config, dir: string, name: string, now = new Date()): Promise<string> {
  const slug = slugOf(name);
  const stamps = fileNames(dir)
    .map((n) => FILE.exec(n)?.[1])
    .filter((v) => v !== undefined);
  const newest = stamps.sort(compareVersions).at(-1);
  const version = followingVersion(now, newest);
  const up = await writeNew(config, dir, `${version}_${slug}.up.sql`, '');
  await writeNew(config, dir, `${version}_${slug}.down.sql`, '');
  return up;
}
