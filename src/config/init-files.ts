import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, posix } from 'node:path';

// services.<pg>.init as files on disk: what the native runtime runs on a new data directory
// and what compose mounts into /docker-entrypoint-initdb.d. Resolved once, as the config is
// loaded, so both runtimes (and `tm render compose`) run the same files in the same order.

/** The init files an entry names, project-relative (posix), or why it names none. */
export type InitEntry = { files: string[] } | { problem: string };

/**
 * One entry of `init:`: a `.sql` file, a folder (its `*.sql` in name order, as the image runs
 * its folder), or a pattern whose last part has `*` (`db/init/*.sql`), inside the project.
 */
export function initEntryFiles(root: string, entry: string): InitEntry {
  const rel = normalize(entry).replaceAll('\\', '/').replace(/\/$/, '');
  if (isAbsolute(entry) || rel === '..' || rel.startsWith('../'))
    return { problem: 'expected a path inside the project (relative to taskmaster.yml): a container mounts it from there' };
  const dir = posix.dirname(rel);
  const last = posix.basename(rel);
  if (dir.includes('*')) return { problem: 'only the last part of a pattern may hold "*" (db/init/*.sql)' };
  if (last.includes('*')) {
    const re = new RegExp(`^${last.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
    const names = listFiles(join(root, dir));
    if (!names) return { problem: `no folder ${dir} in the project` };
    return { files: names.filter((n) => re.test(n)).map((n) => posix.join(dir, n)) };
  }
  let isDir: boolean;
  try {
    isDir = statSync(join(root, rel)).isDirectory();
  } catch {
    return { problem: `no file or folder ${rel} in the project` };
  }
  if (isDir) return { files: (listFiles(join(root, rel)) ?? []).filter((n) => n.endsWith('.sql')).map((n) => posix.join(rel, n)) };
  if (!rel.endsWith('.sql')) return { problem: `${rel} is not a .sql file: init runs SQL files` };
  return { files: [rel] };
}

/** Every entry's files in order, each file once, and the problems of entries that name nothing (by index). */
export function resolveInit(root: string, entries: string[]): { files: string[]; problems: { index: number; message: string }[] } {
  const files: string[] = [];
  const problems: { index: number; message: string }[] = [];
  for (const [index, entry] of entries.entries()) {
    const found = initEntryFiles(root, entry);
    if ('problem' in found) problems.push({ index, message: found.problem });
    else for (const f of found.files) if (!files.includes(f)) files.push(f);
  }
  return { files, problems };
}

/** The regular files of a folder, in name order (byte order, as the image's shell glob sorts in the C locale). */
function listFiles(dir: string): string[] | undefined {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => d.name)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  } catch {
    return undefined;
  }
}
