import { createServer } from 'node:net';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { commandLine } from './native/proc.js';

/** Who listens on a port, where the OS tells (Linux /proc). */
export interface PortHolder {
  pid?: number;
  command?: string;
}

/** True if we can bind host:port right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The next port after `port` that is free (and not in `avoid`). */
export async function nextFreePort(port: number, host = '127.0.0.1', avoid: number[] = []): Promise<number | undefined> {
  for (let p = port + 1; p <= Math.min(65535, port + 200); p++) {
    if (!avoid.includes(p) && (await isPortFree(p, host))) return p;
  }
  return undefined;
}

/** Finds the process listening on `port` via /proc/net/tcp{,6} and the socket inodes in /proc/PID/fd. */
export async function portHolder(port: number): Promise<PortHolder | undefined> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      // state 0A is LISTEN
      if (!local || cols[3] !== '0A') continue;
      if (parseInt(local.split(':')[1] ?? '', 16) === port) inodes.add(cols[9]!);
    }
  }
  if (inodes.size === 0) return undefined;
  const pids = await readdir('/proc').catch(() => [] as string[]);
  for (const pid of pids) {
    if (!/^\d+$/.test(pid)) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return { pid: Number(pid), command: oneLine(await commandLine(Number(pid))) };
    }
  }
  return {};
}

/** A command line fit for a one-line message: no newlines or control characters, at most 80 characters. */
export function oneLine(command: string | undefined, max = 80): string | undefined {
  const flat = command?.replace(/[\s\p{Cc}]+/gu, ' ').trim();
  if (!flat) return undefined;
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
