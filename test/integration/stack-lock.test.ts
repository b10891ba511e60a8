import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { TmError } from '../../src/errors.js';
import { processStartTicks } from '../../src/runtime/native/proc.js';
import { acquireStackLock, stackLockFile, stackLockHolder, waitingMessage, type LockHolder } from '../../src/stack/lock.js';

// The stack lock on a real file system, with real processes as holders.

const dirs: string[] = [];
async function stack(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tm-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A lock file naming `pid` (with its real start time unless `ticks` says otherwise). */
async function plant(root: string, pid: number, ticks?: string, command = 'tm up'): Promise<void> {
  await mkdir(join(root, '.taskmaster'), { recursive: true });
  const h: LockHolder = {
    command,
    pid,
    startTicks: ticks ?? (await processStartTicks(pid)),
    host: hostname(),
    since: new Date().toISOString(),
    nonce: 'abc123',
  };
  await writeFile(stackLockFile(root), JSON.stringify(h));
}

/** A process that has exited (its PID is free, or soon another's). */
async function deadPid(): Promise<number> {
  const p = spawn('true');
  await new Promise((r) => p.on('exit', r));
  return p.pid!;
}

describe('the stack lock', () => {
  it('is taken, named while held, and released', async () => {
    const root = await stack();
    const release = await acquireStackLock(root, { command: 'tm up', timeoutMs: 1000 });
    const holder = await stackLockHolder(root);
    expect(holder).toMatchObject({ command: 'tm up', pid: process.pid });
    expect(waitingMessage(holder!, Date.parse(holder!.since) + 4000)).toBe(`waiting for tm up (pid ${process.pid}, 4.0 s)`);
    await release();
    expect(existsSync(stackLockFile(root))).toBe(false);
    expect(await readdir(join(root, '.taskmaster'))).toEqual([]); // no temporary file left
  });

  it('makes a second command wait, saying for whom, then time out with exit 5 naming the holder', async () => {
    const root = await stack();
    const sleeper = spawn('sleep', ['30']);
    try {
      await plant(root, sleeper.pid!, undefined, 'tm down');
      const waits: string[] = [];
      const t0 = performance.now();
      const err = await acquireStackLock(root, { command: 'tm up', timeoutMs: 400, onWait: (h) => waits.push(waitingMessage(h)) }).catch((e: unknown) => e);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(400);
      expect(err).toBeInstanceOf(TmError);
      expect((err as TmError).code).toBe('TM_STACK_BUSY');
      expect((err as TmError).exit).toBe(5);
      expect((err as TmError).message).toMatch(new RegExp(`^tm down \\(pid ${sleeper.pid}, since .*\\) is still changing this stack after waiting`));
      expect(waits[0]).toMatch(new RegExp(`^waiting for tm down \\(pid ${sleeper.pid}, \\d+ ms\\)$`));
      // The holder's lock is untouched.
      expect(JSON.parse(await readFile(stackLockFile(root), 'utf8')).pid).toBe(sleeper.pid);
    } finally {
      sleeper.kill();
    }
  });

  it('is granted as soon as the holder releases it', async () => {
    const root = await stack();
    const first = await acquireStackLock(root, { command: 'tm up', timeoutMs: 1000 });
    const second = acquireStackLock(root, { command: 'tm down', timeoutMs: 5000 });
    await delay(200);
    await first();
    const release = await second;
    expect((await stackLockHolder(root))?.command).toBe('tm down');
    await release();
  });

  it('takes over a lock whose holder is gone, or whose PID another process now has', async () => {
    const root = await stack();
    await plant(root, await deadPid());
    (await acquireStackLock(root, { command: 'tm up', timeoutMs: 200 }))();
    // This test process is alive, but not the process that took the lock (another start time).
    await plant(root, process.pid, '1');
    const release = await acquireStackLock(root, { command: 'tm up', timeoutMs: 200 });
    expect((await stackLockHolder(root))?.startTicks).toBe(await processStartTicks(process.pid));
    await release();
    // A file that is not a lock record at all (written by hand, cut short) is no holder either.
    await writeFile(stackLockFile(root), '{"pid": 12');
    await (await acquireStackLock(root, { command: 'tm up', timeoutMs: 200 }))();
  });

  it('lets exactly one of many takers at a time have a lock left by a dead process', async () => {
    for (let round = 0; round < 3; round++) {
      const root = await stack();
      await plant(root, await deadPid());
      let inside = 0;
      let most = 0;
      let entered = 0;
      await Promise.all(
        Array.from({ length: 12 }, async () => {
          const release = await acquireStackLock(root, { command: 'tm up', timeoutMs: 20_000 });
          inside++;
          entered++;
          most = Math.max(most, inside);
          await delay(2);
          inside--;
          await release();
        }),
      );
      expect(entered).toBe(12);
      expect(most).toBe(1);
      expect(await readdir(join(root, '.taskmaster'))).toEqual([]);
    }
  });

  it('stops waiting on Ctrl-C', async () => {
    const root = await stack();
    const release = await acquireStackLock(root, { command: 'tm up', timeoutMs: 1000 });
    const ctl = new AbortController();
    const waiting = acquireStackLock(root, { command: 'tm down', timeoutMs: 60_000, signal: ctl.signal });
    setTimeout(() => ctl.abort(new Error('interrupted')), 100);
    await expect(waiting).rejects.toThrow('interrupted');
    await release();
  });
});
