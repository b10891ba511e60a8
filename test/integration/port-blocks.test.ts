import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { allocate, BLOCK_FIRST, BLOCK_SIZE } from '../../src/stack/claim.js';

// Choosing a block of ports for a new stack, against the real ports of this machine (a port
// something listens on is skipped).

const configured = { postgres: { port: 5432 }, redis: { port: 6379 } };
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});
const listen = (port: number) =>
  new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => {
      servers.push(s);
      resolve();
    });
  });

describe('allocate', () => {
  it("gives a folder the same block each time, and another folder (usually) another one, inside the range, the services' ports in order", async () => {
    const a = await allocate(configured, new Set(), '/work/app-a');
    expect(await allocate(configured, new Set(), '/work/app-a')).toEqual(a);
    const b = await allocate(configured, new Set(), '/work/app-b');
    expect(b).not.toEqual(a);
    for (const ports of [a, b]) {
      expect((ports.postgres!.port! - BLOCK_FIRST) % BLOCK_SIZE).toBe(0);
      expect(ports.redis!.port).toBe(ports.postgres!.port! + 1);
    }
  });

  it('skips a block another stack holds or something listens on', async () => {
    const first = await allocate(configured, new Set(), '/work/app-c');
    const afterTaken = await allocate(configured, new Set([first.redis!.port!]), '/work/app-c');
    expect(afterTaken.postgres!.port).not.toBe(first.postgres!.port);
    await listen(first.postgres!.port!);
    expect((await allocate(configured, new Set(), '/work/app-c')).postgres!.port).not.toBe(first.postgres!.port);
  });
});
