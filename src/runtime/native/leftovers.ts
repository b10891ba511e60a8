import { existsSync } from 'node:fs';
import { readdir, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { removeOwnedDir, self, verifyOwnedDir } from '../../util/safe-dir.js';
import { EXTERNAL_DATA_ROOT, nativePaths } from './paths.js';
import { processArgv, processCwd, processEnvVar, processIds, terminate } from './proc.js';
import { postgresRunAs, type RunAs } from './run-as.js';
import { SERVICE_ID_VARIABLE } from './verified-process.js';

// What the native runtime leaves of a stack whose folder was deleted (`git worktree remove
// --force` on a running stack): its servers and apps still running, and the data directories
// that live outside the project (/var/lib/taskmaster/<project-id>/, when tm runs as root).
// Everything inside the folder went with it.

/** A process of the stack, proven by what it runs on: a data directory or marker under the stack's folder. */
export interface LeftoverProcess {
  pid: number;
  command: string;
  kind: 'postgres' | 'redis' | 'app';
}

export interface NativeLeftovers {
  processes: LeftoverProcess[];
  /** Data directories outside the folder. */
  dirs: string[];
  /** Postgres socket directories of its servers. */
  sockets: string[];
}

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

/**
 * The stack's processes and outside data: a postgres whose `-D` is in the folder or in its
 * external data directory, a redis-server working in the folder's data (the kernel marks a
 * deleted working directory " (deleted)"), an app or its supervisor carrying the folder's marker.
 */
export async function nativeLeftovers(path: string, projectId: string): Promise<NativeLeftovers> {
  const external = join(EXTERNAL_DATA_ROOT, projectId);
  const processes: LeftoverProcess[] = [];
  for (const pid of await processIds()) {
    if (pid === process.pid) continue;
    const argv = (await processArgv(pid)) ?? [];
    const program = argv[0] ?? '';
    if (/(^|\/)postgres$/.test(program)) {
      const dir = argv[argv.indexOf('-D') + 1];
      if (argv.includes('-D') && dir && (under(dir, path) || under(dir, external))) processes.push({ pid, command: argv.join(' '), kind: 'postgres' });
    } else if (/redis-server/.test(program)) {
      const cwd = (await processCwd(pid))?.replace(/ \(deleted\)$/, '');
      if (cwd && under(cwd, join(path, '.taskmaster'))) processes.push({ pid, command: argv.join(' '), kind: 'redis' });
    } else if ((await processEnvVar(pid, SERVICE_ID_VARIABLE))?.startsWith(`${path}#`)) {
      processes.push({ pid, command: argv.join(' '), kind: 'app' });
    }
  }
  // Postgres' socket directories (`tm-<hash>-XXXXXX`) of starts that were never stopped.
  const prefix = nativePaths({ root: path, projectId }).socketPrefix;
  const sockets = (await readdir(dirname(prefix)).catch(() => [] as string[]))
    .filter((n) => n.startsWith(basename(prefix)))
    .map((n) => join(dirname(prefix), n));
  return { processes, dirs: existsSync(external) ? [external] : [], sockets };
}

/** Stops the processes (Postgres' fast shutdown, SIGTERM for the rest; SIGKILL after 10 s), then deletes the outside data, only tm's own directories. */
export async function removeNativeLeftovers(found: NativeLeftovers): Promise<void> {
  await Promise.all(found.processes.map((p) => terminate(p.pid, p.kind === 'postgres' ? 'SIGINT' : 'SIGTERM', 10_000)));
  for (const dir of found.dirs) {
    for (const service of await readdir(dir).catch(() => [] as string[])) await removeExternalData(join(dir, service));
    await rmdir(dir).catch(() => undefined);
  }
  const runAs = await postgresRunAs().catch(() => undefined);
  for (const dir of found.sockets) await removeOwnedDir(dir, 0o700, runAs ? [self(), runAs] : [self()]).catch(() => undefined);
}

/** One service's data directory under /var/lib/taskmaster/<project-id>/: each level checked to be tm's own before anything is deleted. */
export async function removeExternalData(dir: string, account?: RunAs): Promise<void> {
  for (const level of [EXTERNAL_DATA_ROOT, join(dir, '..')]) verifyOwnedDir(level, 0o755);
  // The account the service's server runs as (Postgres' when the caller does not know the kind).
  const runAs = account ?? (await postgresRunAs().catch(() => undefined));
  await removeOwnedDir(dir, 0o750, runAs ? [self(), runAs] : [self()]);
}
