import { processArgv, processCwd, processIds } from './proc.js';
import { projectIdentity } from './verified-process.js';

/** A server process no PID file knows about. */
export interface Orphan {
  pid: number;
  command: string;
  argv: string[];
}

/**
 * Whether a command line is a server on a project's data or ports: postgres started on one of
 * its data directories, or redis-server on its port: `--port N` as started, `host:N` once it
 * has rewritten its title.
 */
export function isProjectServer(argv: string[], dataDirs: string[], redisPorts: number[]): boolean {
  const line = argv.filter(Boolean).join(' ');
  const postgres = /(^|\/)postgres$/.test(argv[0] ?? '') && dataDirs.some((d) => argv.includes(d));
  const redis = /redis-server/.test(argv[0] ?? '') && redisPorts.some((port) => new RegExp(`(:|--port )${port}(\\s|$)`).test(line));
  return postgres || redis;
}

/**
 * Processes other than `tracked` that are servers on these data directories or Redis ports: a
 * postmaster started on one of the data directories, or a redis-server on one of the ports
 * whose working directory (its --dir) is one of them (the port alone may be another clone's).
 */
export async function findOrphans(dataDirs: string[], redisPorts: number[], tracked: Set<number>): Promise<Orphan[]> {
  const dirs = [...new Set([...dataDirs, ...dataDirs.map(projectIdentity)])];
  const out: Orphan[] = [];
  for (const pid of await processIds()) {
    if (tracked.has(pid) || pid === process.pid) continue;
    const argv = (await processArgv(pid)) ?? [''];
    if (!isProjectServer(argv, dirs, redisPorts)) continue;
    if (/redis-server/.test(argv[0] ?? '')) {
      const cwd = await processCwd(pid);
      if (cwd === undefined || !dirs.includes(cwd)) continue;
    }
    out.push({ pid, command: argv.filter(Boolean).join(' '), argv });
  }
  return out;
}
