import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { EXIT, TmError, type ExitCode } from '../errors.js';

// A repository can hold symbolic links: `.taskmaster/data -> ../../..` would make
// `tm down --volumes` delete a folder of the user's home, `k8s -> /etc` would make `tm render`
// write there. Before tm writes or deletes a path of the project, the path as the kernel will
// resolve it (realpath of its deepest existing part, symlinks followed) must still be inside
// the project's own real path.

/** Why a path is refused: a message and the fix, with the exit code of the caller's kind of error. */
export interface OutsideError {
  code: string;
  exit: ExitCode;
}

const STATE: OutsideError = { code: 'TM_OUTSIDE_PROJECT', exit: EXIT.problems };

/**
 * Returns `path` (resolved against `root`) when writing or deleting it stays inside `root`;
 * throws otherwise, naming the symlink's target. A missing path is judged by the deepest part
 * of it that exists; an existing symlink by where it leads.
 */
export function insideProject(root: string, path: string, error: OutsideError = STATE): string {
  const abs = resolve(root, path);
  const realRoot = realpathSync(root);
  if (!within(resolve(root), abs)) throw outside(root, path, abs, error, 'it is outside the project directory');
  let existing = abs;
  while (!exists(existing)) existing = dirname(existing);
  const real = realpathOrSelf(existing);
  if (!within(realRoot, real)) {
    throw outside(root, path, real, error, `it leads outside the project through a symbolic link (${relative(root, existing) || '.'} -> ${real})`);
  }
  return abs;
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Where a path leads, symlinks followed; a dangling symlink by its target as written. */
function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    try {
      return resolve(dirname(path), readlinkSync(path));
    } catch {
      return path;
    }
  }
}

function outside(root: string, path: string, target: string, error: OutsideError, why: string): TmError {
  const shown = isAbsolute(path) ? relative(root, path) || path : path;
  return new TmError(error.code, `refusing to write or delete ${shown}: ${why}`, {
    exit: error.exit,
    hint:
      target !== resolve(root, path)
        ? `tm only writes inside the project: remove the symbolic link on the way to ${shown}, or give a path inside the project`
        : 'give a path inside the project',
  });
}
