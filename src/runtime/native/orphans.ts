import { processArgv, processIds } from './proc.js';

/** A server process no PID file knows about. */
export interface Orphan {
  pid: number;
  command: string;
}

/**
 * Whether a command line is a server on a project's data or ports: postgres started on one of
 * its data directories, or redis-server (which rewrites its title to host:port) on its port.
 */
export function isProjectServer(argv: string[], dataDirs: string[], redisPorts: number[]): boolean {
  const line = argv.filter(Boolean).join(' ');
  const postgres = /(^|\/)postgres$/.test(argv[0] ?? '') && dataDirs.some((d) => argv.includes(d));
  const redis = /redis-server/.test(argv[0] ?? '') && redisPorts.some((port) => new RegExp(`:${port}(\\s|$)`).test(line));
  return postgres || redis;
}

/** Processes other than `tracked` that are servers on these data directories or Redis ports. */
export async function findOrphans(dataDirs: string[], redisPorts: number[], tracked: Set<number>): Promise<Orphan[]> {
  const out: Orphan[] = [];
  for (const pid of await processIds()) {
    if (tracked.has(pid)) continue;
    const argv = (await processArgv(pid)) ?? [''];
    if (isProjectServer(argv, dataDirs, redisPorts)) out.push({ pid, command: argv.filter(Boolean).join(' ') });
  }
  return out;
}
