import { randomBytes, createHash } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EXIT, TmError } from '../errors.js';
import { isAlive, processStartTicks } from '../runtime/native/proc.js';
import { systemClock, type Clock } from '../util/clock.js';
import { formatDuration } from '../util/duration.js';
import { insideProject } from '../util/inside.js';

// One command at a time changes a stack: two `tm up` at once would both initialise one data
// directory, and `tm down --volumes` could delete it under a server the other just started.
// The lock is a file in the stack's `.taskmaster/`, made with link(2) from a complete file
// (so it never exists half-written) and naming its holder. A lock whose holder is gone is
// taken over; exactly one taker wins, because taking over the record with nonce N first needs
// `lock.N`, itself a lock of the same kind (a taker that died there leaves one to take over).

/** Who holds a stack's lock. */
export interface LockHolder {
  /** What it runs, e.g. `tm up`. */
  command: string;
  pid: number;
  /** The process's start time (/proc), so a later process with the same PID is not taken for it. */
  startTicks?: string;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** Names this acquisition: a takeover replaces only the record it found. */
  nonce: string;
}

export interface StackLockOptions {
  /** What the caller runs, for the message another command shows while it waits. */
  command: string;
  /** How long to wait for another command before failing with exit 5. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called while waiting: first at once, then every few seconds (waitingMessage words it). */
  onWait?: (holder: LockHolder) => void;
  clock?: Clock;
}

/** How often a waiting command looks at the lock again, and how often it says it still waits. */
const POLL_MS = 50;
const REPORT_EVERY_MS = 5000;

/** The lock file of the stack whose folder is `root`. */
export function stackLockFile(root: string): string {
  return join(root, '.taskmaster', 'lock');
}

/**
 * Takes the stack's lock, waiting while another live command holds it, and returns its release.
 * Waiting longer than `timeoutMs` throws TM_STACK_BUSY (exit 5) naming the holder.
 */
export async function acquireStackLock(root: string, opts: StackLockOptions): Promise<() => Promise<void>> {
  const file = insideProject(root, stackLockFile(root));
  await mkdir(join(root, '.taskmaster'), { recursive: true });
  const clock = opts.clock ?? systemClock;
  const me: LockHolder = {
    command: opts.command,
    pid: process.pid,
    startTicks: await processStartTicks(process.pid),
    host: hostname(),
    since: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
  const start = clock.now();
  let reported = -Infinity;
  for (;;) {
    const got = await claim(file, me);
    if (got === 'taken') return () => release(file, me);
    const waited = clock.now() - start;
    if (waited >= opts.timeoutMs) throw busy(got, waited);
    if (waited - reported >= REPORT_EVERY_MS) {
      reported = waited;
      opts.onWait?.(got);
    }
    opts.signal?.throwIfAborted();
    await clock.sleep(POLL_MS, opts.signal).catch(() => opts.signal?.throwIfAborted());
  }
}

/** Runs `work` holding the stack's lock, released however `work` ends. */
export async function withStackLock<T>(root: string, opts: StackLockOptions, work: () => Promise<T>): Promise<T> {
  const release = await acquireStackLock(root, opts);
  try {
    return await work();
  } finally {
    await release();
  }
}

/** The live holder of a stack's lock, if any (for messages; changes nothing). */
export async function stackLockHolder(root: string): Promise<LockHolder | undefined> {
  const h = await readHolder(stackLockFile(root));
  return h && !(await isStale(h)) ? h : undefined;
}

/**
 * One attempt: takes `file` for `me`, or says which live process holds it. A holder that is
 * gone is replaced, by exactly one taker (see the comment at the top).
 */
async function claim(file: string, me: LockHolder): Promise<'taken' | LockHolder> {
  for (;;) {
    if (await create(file, me)) return 'taken';
    const found = await readHolder(file);
    if (!found) continue; // released in between
    if (!(await isStale(found))) return found;
    const takeover = `${file}.${found.nonce}`;
    const turn = await claim(takeover, me);
    if (turn !== 'taken') return turn; // another command is taking it over right now
    try {
      // Still the record this takeover is for: nobody else may replace it now.
      if ((await readHolder(file))?.nonce === found.nonce) {
        await replace(file, me);
        return 'taken';
      }
    } finally {
      await release(takeover, me);
    }
  }
}

/** Creates `file` holding `me`, complete or not at all; false when it exists. */
async function create(file: string, me: LockHolder): Promise<boolean> {
  const tmp = await written(file, me);
  try {
    await link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Replaces `file` with `me` in one step (rename). */
async function replace(file: string, me: LockHolder): Promise<void> {
  await rename(await written(file, me), file);
}

async function written(file: string, me: LockHolder): Promise<string> {
  const tmp = `${file}.${me.nonce}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(me)}\n`, { flag: 'wx', mode: 0o600 });
  return tmp;
}

/** Removes `file` if it is still `me`'s (a lock another command took over is left alone). */
async function release(file: string, me: LockHolder): Promise<void> {
  if ((await readHolder(file))?.nonce === me.nonce) await rm(file, { force: true });
}

/** The record in `file`; undefined when there is none. A record that cannot be read is a stale one of its own. */
async function readHolder(file: string): Promise<LockHolder | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    if (Number.isInteger(h.pid) && typeof h.nonce === 'string' && /^[0-9a-f]+$/.test(h.nonce)) return h;
  } catch {
    // below
  }
  return { command: 'an unknown program', pid: 0, host: hostname(), since: '', nonce: createHash('sha256').update(text).digest('hex').slice(0, 16) };
}

/** A holder on this machine whose process is gone (or is now another process). One on another host is never judged. */
async function isStale(h: LockHolder): Promise<boolean> {
  if (h.host !== hostname()) return false;
  if (!(await isAlive(h.pid))) return true;
  return h.startTicks !== undefined && (await processStartTicks(h.pid)) !== h.startTicks;
}

function busy(h: LockHolder, waitedMs: number): TmError {
  const where = h.host === hostname() ? `pid ${h.pid}` : `pid ${h.pid} on ${h.host}`;
  return new TmError('TM_STACK_BUSY', `${h.command} (${where}, since ${h.since}) is still changing this stack after waiting ${formatDuration(waitedMs)}`, {
    exit: EXIT.timeout,
    hint: `wait for it to finish and run this again (TM_LOCK_TIMEOUT sets how long to wait); if it hangs, stop it (kill ${h.pid})`,
  });
}

/** "waiting for tm up (pid 123, 4 s)": a waiting command's progress line, with how long the holder has held the lock. */
export function waitingMessage(h: LockHolder, now = Date.now()): string {
  const held = Date.parse(h.since);
  const age = Number.isNaN(held) ? '' : `, ${formatDuration(Math.max(0, now - held))}`;
  return `waiting for ${h.command} (pid ${h.pid}${h.host === hostname() ? '' : ` on ${h.host}`}${age})`;
}
