import { open, readFile, stat, unlink } from 'node:fs/promises';
import { EXIT, TmError } from '../errors.js';

// A lock between tm processes of this machine, as a file created exclusively (O_EXCL) that
// names its holder (pid and the process's start time). Held for milliseconds (a read, a
// decision, an atomic write). A holder that died leaves the file behind: a waiter that sees
// its process gone takes the lock over, through a second exclusive file so that two waiters
// never both break it. Written here rather than taken from proper-lockfile, whose signal-exit
// handlers re-raise SIGINT once tm's own handler has run (Ctrl-C during `tm up` would no longer
// stop what it started).

export interface FileLockOptions {
  /** How long to wait for another holder (default 15 s). */
  waitMs?: number;
  /** What the lock protects, for the timeout message. */
  what: string;
  /** When a process started (tells a holder from a later process that reused its PID); undefined when unknown. */
  startTime: (pid: number) => Promise<string | undefined>;
}

/** How old a lock file with no readable holder (its writer died between create and write) may get before it is broken. */
const UNREADABLE_MS = 5000;

/** Runs `work` while holding the lock file `path`, released however `work` ends. */
export async function withFileLock<T>(path: string, opts: FileLockOptions, work: () => Promise<T>): Promise<T> {
  const me = `${process.pid} ${(await opts.startTime(process.pid)) ?? ''}`;
  await acquire(path, me, opts);
  try {
    return await work();
  } finally {
    // Only our own: a lock broken while we held it (we were taken for dead) is someone else's now.
    if ((await readFile(path, 'utf8').catch(() => '')) === me) await unlink(path).catch(() => undefined);
  }
}

async function acquire(path: string, me: string, opts: FileLockOptions): Promise<void> {
  const deadline = performance.now() + (opts.waitMs ?? 15_000);
  for (let delay = 5; ; delay = Math.min(delay * 2, 50)) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(me);
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const seen = await readFile(path, 'utf8').catch(() => undefined);
    if (seen !== undefined && (await abandoned(path, seen, opts.startTime))) {
      await breakLock(path, seen);
      continue;
    }
    if (performance.now() >= deadline) {
      const pid = seen?.split(' ')[0];
      throw new TmError('TM_LOCK_TIMEOUT', `${opts.what} is locked by another tm${pid ? ` (pid ${pid})` : ''} (${path})`, {
        exit: EXIT.timeout,
        hint: 'try again when it has finished; a lock left by a tm that died is taken over at once',
      });
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** The holder's process is gone (or its PID now belongs to another process), or the file never got a holder. */
async function abandoned(path: string, content: string, startTime: FileLockOptions['startTime']): Promise<boolean> {
  const [pidText, ticks] = content.split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) {
    const age = await stat(path).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    return age > UNREADABLE_MS;
  }
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  // Alive: the same process only if it started when the holder did (a PID is reused).
  const now = ticks ? await startTime(pid) : undefined;
  return now !== undefined && now !== ticks;
}

/** Removes an abandoned lock, only while it still holds what was seen, one breaker at a time. */
async function breakLock(path: string, seen: string): Promise<void> {
  const breaker = `${path}.break`;
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(breaker, 'wx', 0o600);
  } catch {
    // Another waiter is breaking it; one that died doing so left a file that goes after a while.
    const age = await stat(breaker).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > UNREADABLE_MS) await unlink(breaker).catch(() => undefined);
    return;
  }
  try {
    if ((await readFile(path, 'utf8').catch(() => undefined)) === seen) await unlink(path).catch(() => undefined);
  } finally {
    await fh.close();
    await unlink(breaker).catch(() => undefined);
  }
}
