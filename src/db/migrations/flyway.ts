import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Config } from '../../config/load.js';
import { EXIT, TmError } from '../../errors.js';
import { slugOf, writeNew } from '../new-file.js';
import { followingVersion } from './dbmate.js';
import { checksumOf, compareVersions, fileNames, fileSection, hasSql, inVersionOrder, normalizeVersion, type MigrationFile, type Section } from './sql/file.js';
import { sqlLayout } from './sql/layout.js';
import type { Layout } from './types.js';

// Flyway's layout: `V<version>__<description>.sql`, where the version is digits separated by
// dots or underscores (`V1_1__x.sql` is 1.1), and `U<version>__<description>.sql` undoes
// it (tm's rollback runs it). Repeatable `R__<description>.sql` files, which Flyway runs
// again whenever they change, are refused: tm applies each migration once, and leaving them
// out would build a database without the views and functions they define.

const VERSIONED = /^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$/;
const REPEATABLE = /^R__(.+)\.sql$/;

/** A folder with at least one `V<version>__`, `U<version>__` or `R__` file. */
export const flyway: Layout = sqlLayout({
  format: 'flyway',
  isMigration: (n) => VERSIONED.test(n) || REPEATABLE.test(n),
  read: async (dir, root) => readFlyway(dir, root),
  newFile: newVersioned,
  dotted: true,
});

/** The versioned files in version order, each with its undo file as the down section. */
function readFlyway(dir: string, root: string): MigrationFile[] {
  const names = fileNames(dir);
  const repeatable = names.filter((n) => REPEATABLE.test(n));
  if (repeatable.length > 0) {
    throw new TmError(
      'TM_MIGRATION_UNSUPPORTED',
      `tm does not run Flyway's repeatable migrations: ${repeatable.map((n) => relative(root, join(dir, n))).join(', ')}`,
      {
        exit: EXIT.migration,
        hint: 'turn each into a versioned migration (V<next version>__<description>.sql) holding its SQL; later changes go in new versioned files',
      },
    );
  }
  const undo = new Map<string, string>();
  const files: MigrationFile[] = [];
  for (const n of names) {
    const m = VERSIONED.exec(n);
    if (!m) continue;
    const version = normalizeVersion(m[2]!.replaceAll('_', '.'));
    if (m[1] === 'U') undo.set(version, n);
    else {
      const up = section(dir, n, root);
      files.push({ version, name: m[3]!, path: up.path, checksum: checksumOf(up.text), up });
    }
  }
  for (const [version, n] of undo) {
    const file = files.find((f) => compareVersions(f.version, version) === 0);
    if (!file) {
      throw new TmError('TM_MIGRATION_INVALID', `${relative(root, join(dir, n))} undoes version ${version}, which has no V file here`, {
        exit: EXIT.migration,
        hint: `add the V${version}__ file it undoes, or remove the undo file`,
      });
    }
    const down = section(dir, n, root);
    if (hasSql(down.sql)) file.down = down;
    else file.emptyDown = true;
  }
  return inVersionOrder(files);
}

/** A script's SQL; `executeInTransaction=false` in its `.sql.conf` (Flyway's per-script settings) runs it outside a transaction. */
function section(dir: string, name: string, root: string): Section {
  const conf = join(dir, `${name}.conf`);
  const settings = existsSync(conf) ? readFileSync(conf, 'utf8') : '';
  return fileSection(dir, root, name, !/^\s*executeInTransaction\s*=\s*false\s*$/m.test(settings));
}

/** Writes `V<next>__<name>.sql`: V1 in an empty folder, else the version after the newest. */
async function newVersioned(config: Config, dir: string, name: string, now = new Date()): Promise<string> {
  const versions = fileNames(dir)
    .map((n) => VERSIONED.exec(n)?.[2]?.replaceAll('_', '.'))
    .filter((v) => v !== undefined);
  const newest = versions.sort(compareVersions).at(-1);
  const version = newest === undefined ? '1' : followingVersion(now, newest);
  return writeNew(config, dir, `V${version}__${slugOf(name)}.sql`, '');
}
