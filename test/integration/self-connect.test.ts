import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { refuseSelfConnection } from '../../src/health/self-connect.js';
import { freePort } from '../helpers/project.js';

// A real self-connection: a socket bound to the port it connects to, where nothing listens,
// meets itself (TCP simultaneous open), as a probe's socket does when the kernel happens to
// pick the probed port as its source port.
function selfConnected(port: number): Promise<import('node:net').Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1', localPort: port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** The kernel's TCP sockets on this local port, by state (06 is TIME-WAIT). */
async function socketsOn(port: number): Promise<string[]> {
  const text = await readFile('/proc/net/tcp', 'utf8');
  return text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => cols[1] && Number.parseInt(cols[1].split(':')[1]!, 16) === port)
    .map((cols) => cols[3]!);
}

describe('a connection that meets itself', () => {
  it('is refused, and leaves the port free (no TIME-WAIT)', async () => {
    const port = await freePort();
    const socket = await selfConnected(port);
    expect(socket.localPort).toBe(port);
    const err = refuseSelfConnection(socket);
    expect(err).toMatchObject({ code: 'ECONNREFUSED', message: expect.stringContaining('met itself') });
    await new Promise((r) => setTimeout(r, 50));
    expect(await socketsOn(port)).toEqual([]);
  });

  it('closed as usual instead, it leaves the port in TIME-WAIT (why it is reset)', async () => {
    const port = await freePort();
    (await selfConnected(port)).destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(await socketsOn(port)).toContain('06');
  });
});
