import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { groupMembers, isAlive, terminate, terminateGroup } from '../../src/runtime/native/proc.js';

// Real processes: one that exits on SIGTERM, one that ignores it.
function start(script: string, detached = false) {
  const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'], detached });
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

describe('terminateGroup', () => {
  it('kills what is left of a group that ignores the signal, every member, and then finds nothing to stop', async () => {
    // A group of its own: the shell and a child, both ignoring SIGTERM (an ignored signal stays ignored across exec).
    const p = start('trap "" TERM; sleep 60 & echo up; wait', true);
    await p.ready;
    expect((await groupMembers(p.pid)).length).toBe(2);
    expect(await terminateGroup(p.pid, 'SIGTERM', 300)).toBe('killed');
    expect(await groupMembers(p.pid)).toEqual([]);
    expect(await terminateGroup(p.pid, 'SIGTERM', 300)).toBe('gone');
  });
});
