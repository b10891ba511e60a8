import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isAlive, terminate } from '../../src/runtime/native/proc.js';

// Real processes: one that exits on SIGTERM, one that ignores it.
function start(script: string) {
  const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  const ready = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { pid: child.pid!, ready, exited };
}

describe('terminate', () => {
  it('lets a process that ends on the signal exit, without killing it', async () => {
    const p = start('echo up; exec sleep 60');
    await p.ready;
    const kills: number[] = [];
    expect(await terminate(p.pid, 'SIGTERM', 5000, () => kills.push(p.pid))).toBe('exited');
    expect(kills).toEqual([]);
  });

  it('kills a process that ignores the signal once the grace period is over, and says so first', async () => {
    const p = start('trap "" TERM; echo up; while :; do sleep 0.1; done');
    await p.ready;
    let warned = false;
    const how = await terminate(p.pid, 'SIGTERM', 300, () => {
      warned = true;
    });
    expect(how).toBe('killed');
    expect(warned).toBe(true);
    await p.exited;
    expect(await isAlive(p.pid)).toBe(false);
  });
});
