import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, constants, fchmodSync, mkdirSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EXIT, TmError } from '../../errors.js';
import type { RunAs } from './run-as.js';

export interface Daemon {
  child: ChildProcess;
  pid: number;
  /** Set once the process has exited (e.g. it failed during start). */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

/**
 * Starts a server that outlives this CLI: its own session (so Ctrl-C in the terminal does
 * not reach it), output appended to `logFile`, not waited for by Node.
 */
/**
 * Opens a log for appending: the folder 0700 and the file 0600, also when an older tm made
 * them readable by all (a server's log may quote what it was sent).
 */
export function openLog(file: string): number {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  chmodSync(dirname(file), 0o700);
  let fd: number;
  try {
    // Never appended through a symbolic link (ELOOP): a log is tm's own file.
    fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ELOOP') throw err;
    throw new TmError('TM_OUTSIDE_PROJECT', `refusing to write ${file}: it is a symbolic link, and tm does not write through one`, {
      exit: EXIT.problems,
      hint: `remove the link ${file} (tm makes its own logs in .taskmaster/logs)`,
    });
  }
  fchmodSync(fd, 0o600);
  return fd;
}

export async function spawnDaemon(
  file: string,
  args: string[],
  opts: { logFile: string; runAs?: RunAs; env?: NodeJS.ProcessEnv; ipc?: boolean; cwd?: string },
): Promise<Daemon> {
  const log = openLog(opts.logFile);
  try {
    const child = spawn(file, args, {
      detached: true,
      stdio: opts.ipc ? ['ignore', log, log, 'ipc'] : ['ignore', log, log],
      // A server running as another user must not inherit a cwd it cannot enter.
      cwd: opts.cwd ?? (opts.runAs ? '/' : undefined),
      uid: opts.runAs?.uid,
      gid: opts.runAs?.gid,
      env: opts.env ?? process.env,
    });
    const daemon: Daemon = { child, pid: child.pid ?? -1 };
    child.once('exit', (code, signal) => (daemon.exit = { code, signal }));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    daemon.pid = child.pid!;
    child.unref();
    return daemon;
  } finally {
    closeSync(log);
  }
}

/**
 * Runs a short-lived helper (initdb) to completion with output appended to `logFile`. It runs
 * in a process group of its own, so Ctrl-C in the terminal reaches tm only: tm stops it on
 * `signal`, and throws the signal's reason once it is gone.
 */
export async function runLogged(file: string, args: string[], opts: { logFile: string; runAs?: RunAs; signal?: AbortSignal }): Promise<void> {
  opts.signal?.throwIfAborted();
  const log = openLog(opts.logFile);
  try {
    const child = spawn(file, args, {
      stdio: ['ignore', log, log],
      detached: true,
      cwd: opts.runAs ? '/' : undefined,
      uid: opts.runAs?.uid,
      gid: opts.runAs?.gid,
    });
    const stop = () => child.kill('SIGTERM');
    opts.signal?.addEventListener('abort', stop, { once: true });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c) => resolve(c));
    }).finally(() => opts.signal?.removeEventListener('abort', stop));
    opts.signal?.throwIfAborted();
    if (code !== 0) throw new Error(`${file} exited with code ${code}`);
  } finally {
    closeSync(log);
  }
}

/** The last `n` lines of a log file ([] if it does not exist). */
export async function tailLines(file: string, n: number): Promise<string[]> {
  if (n <= 0) return []; // slice(-0) would be every line
  try {
    const text = await readFile(file, 'utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n);
  } catch {
    return [];
  }
}
