import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ensureOwnedDir, self, verifyOwnedDir } from '../../util/safe-dir.js';
import { EXTERNAL_DATA_ROOT, type NativePaths } from './paths.js';
import { canTraverse, type RunAs } from './run-as.js';

/** Where a server's data lives, and whether that is outside the project. */
export interface DataDir {
  dir: string;
  /** Under /var/lib/taskmaster: the account the server runs as cannot reach the project. */
  external: boolean;
}

/**
 * Data lives in `.taskmaster/data/<svc>` unless the account the server runs as (tm running as
 * root) cannot reach it there; data already in one place stays there (`holdsData`).
 */
export async function chooseDataDir(
  name: string,
  paths: NativePaths,
  runAs: RunAs | undefined,
  holdsData: (dir: string) => Promise<boolean>,
): Promise<DataDir> {
  const inside = paths.dataDir(name);
  const external = paths.externalDataDir(name);
  if (!runAs || (await holdsData(inside))) return { dir: inside, external: false };
  if (await holdsData(external)) return { dir: external, external: true };
  return (await canTraverse(inside, runAs)) ? { dir: inside, external: false } : { dir: external, external: true };
}

/**
 * The data directory's parents: inside the project, made as needed; under /var/lib/taskmaster,
 * each one tm's own (root's, 0755 so the server's user can pass), never a symlink.
 */
export async function dataParents(data: DataDir, create: boolean): Promise<void> {
  if (!data.external) {
    if (create) await mkdir(dirname(data.dir), { recursive: true });
    return;
  }
  for (const dir of [EXTERNAL_DATA_ROOT, dirname(data.dir)]) (create ? ensureOwnedDir : verifyOwnedDir)(dir, 0o755, self());
}
