import { closeSync, constants, fchmodSync, fchownSync, fstatSync, lstatSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { lstat, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { EXIT, TmError } from '../errors.js';

// Directories tm makes outside the project (a Postgres socket directory in /tmp, data under
// /var/lib/taskmaster) are where another local user could be waiting: a directory made
// beforehand with mode 0777, or a symlink to somewhere else. Every such directory is either
// made fresh by tm (mkdtemp, mkdir without `recursive`) or accepted only after lstat shows a
// real directory with the owner and mode tm gives it; ownership is handed over through a
// file descriptor opened with O_NOFOLLOW, never by a path a symlink could redirect.
// Synchronous: a handful of system calls on the way to starting a server.

/** Who a directory belongs to (the server's account when tm runs as root). */
export interface Owner {
  uid: number;
  gid: number;
}

/** The account tm itself runs as. */
export function self(): Owner {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

/**
 * A new directory `<prefix>XXXXXX` with mode 0700, made by mkdtemp (so it did not exist
 * before, whoever can guess the prefix) and handed to `owner`.
 */
export function makePrivateDir(prefix: string, owner: Owner = self()): string {
  const dir = mkdtempSync(prefix);
  try {
    handOver(dir, owner, 0o700);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

/**
 * `path` as a directory of `owner` with `mode`: made here (its parent must exist), or, if it
 * already exists, accepted only when it is a real directory (not a symlink) of that owner
 * that nobody else may write (and, for a 0700 one, nobody else may enter).
 */
export function ensureOwnedDir(path: string, mode: number, owner: Owner = self()): void {
  try {
    mkdirSync(path, { mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    verifyOwnedDir(path, mode, owner);
    return;
  }
  handOver(path, owner, mode);
}

/** Throws TM_UNSAFE_PATH unless `path` is a real directory of `owner` granting others no more than `mode`. */
export function verifyOwnedDir(path: string, mode: number, owner: Owner = self()): void {
  const st = lstatSync(path);
  const problem = st.isSymbolicLink()
    ? 'it is a symbolic link'
    : !st.isDirectory()
      ? 'it is not a directory'
      : st.uid !== owner.uid
        ? `it belongs to uid ${st.uid}, not ${owner.uid}`
        : (st.mode & 0o777 & ~mode) !== 0
          ? `its mode is ${(st.mode & 0o777).toString(8).padStart(4, '0')}, more open than ${mode.toString(8).padStart(4, '0')}`
          : undefined;
  if (problem) throw unsafe(path, problem);
}

/**
 * Deletes a directory tm made, after lstat shows it is one of `owners`' real directories
 * granting others no more than `mode` (TM_UNSAFE_PATH otherwise). Nothing there: nothing to do.
 */
export async function removeOwnedDir(path: string, mode: number, owners: Owner[]): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  verifyOwnedDir(path, mode, owners.find((o) => o.uid === st.uid) ?? owners[0]!);
  // Retried: a process of a killed run (initdb's bootstrap backend) may still be writing into
  // it for a moment, and a directory it fills as rm empties it fails with ENOTEMPTY.
  await rm(path, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

/** chown and chmod through a descriptor that refuses to follow a symlink, then checks the result. */
function handOver(path: string, owner: Owner, mode: number): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw code === 'ELOOP' || code === 'ENOTDIR' ? unsafe(path, 'it was replaced by a symbolic link or a file') : err;
  }
  try {
    const mine = self();
    if (owner.uid !== mine.uid || owner.gid !== mine.gid) fchownSync(fd, owner.uid, owner.gid);
    fchmodSync(fd, mode);
    const st = fstatSync(fd);
    if (st.uid !== owner.uid || (st.mode & 0o777) !== mode) throw unsafe(path, 'its owner or mode could not be set');
  } finally {
    closeSync(fd);
  }
}

function unsafe(path: string, problem: string): TmError {
  return new TmError('TM_UNSAFE_PATH', `refusing to use ${path}: ${problem}`, {
    exit: EXIT.runtime,
    hint: `tm only uses directories it made itself outside the project; check who made ${basename(path)} in ${dirname(path)} (ls -la), then remove it`,
  });
}
