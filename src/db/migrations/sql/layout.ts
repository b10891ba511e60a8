import { resolve } from 'node:path';
import type { Config } from '../../../config/load.js';
import type { MigrationLayout } from '../../../config/schema.js';
import type { Layout } from '../types.js';
import { fileNames, type MigrationFile, type SqlFiles } from './file.js';
import { sqlMigrations } from './migrations.js';

/** What makes an SQL layout: which file names in `db.migrations` are its, how to read them, how to name a new one. */
export interface SqlLayoutSpec {
  format: MigrationLayout;
  /** Whether a name in the folder is one of this layout's migration files. */
  isMigration(name: string): boolean;
  /** The files of `dir`, parsed, in version order (paths relative to `root`). */
  read(dir: string, root: string): Promise<MigrationFile[]>;
  /** Writes a new, empty migration in `dir`; returns its path relative to the project root. */
  newFile(config: Config, dir: string, name: string, now?: Date): Promise<string>;
  /** Takes every project, whatever its folder holds (the default layout). */
  takesAny?: boolean;
  /** Versions may have dotted parts (Flyway's `1.1`). */
  dotted?: boolean;
}

/** The files of an SQL layout in the project's `db.migrations`. */
export function sqlFiles(spec: SqlLayoutSpec, config: Config): SqlFiles {
  const dir = resolve(config.root, config.db.migrations);
  return {
    format: spec.format,
    dir,
    dotted: spec.dotted,
    read: () => spec.read(dir, config.root),
    any: () => fileNames(dir).some(spec.isMigration),
    ignored: () => fileNames(dir).filter((n) => n.endsWith('.sql') && !spec.isMigration(n)),
    newFile: (name, now) => spec.newFile(config, dir, name, now),
  };
}

/** An SQL layout: its files, run by tm's runner against tm's history table. */
export function sqlLayout(spec: SqlLayoutSpec): Layout {
  const layout: Layout = {
    format: spec.format,
    holds: (dir) => fileNames(dir).some(spec.isMigration),
    open: async (config) => sqlMigrations(sqlFiles(spec, config)),
    detect: async (config) => (spec.takesAny || layout.holds(resolve(config.root, config.db.migrations)) ? layout.open(config) : undefined),
  };
  return layout;
}
