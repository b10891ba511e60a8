import { realpathSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { KINDS } from '../../catalog/index.js';
import type { Service } from '../../config/schema.js';
import { oneLine } from '../ports.js';
import type { NativePaths } from './paths.js';
import type { PidRecord } from './pidfile.js';
import { groupMembers, isAlive, processArgv, processCwd, processEnvVar, processStartTicks } from './proc.js';

// A PID file is a claim, not a proof: it may be stale (the PID was reused), copied with the
// project (`cp -a`), committed to git, or written by hand. Before tm signals a process it
// checks, from the running process itself, that it is this project's service: the start time
// recorded when tm started it, a command line of that service, and this project's data
// directory or service marker.

/** The variable (and the supervisor's argument) that names an app's project and service. */
export const SERVICE_ID_VARIABLE = 'TM_SERVICE_ID';

/** What a live process of one service of this project shows. */
export interface ServiceIdentity {
  root: string;
  name: string;
  kind: Service['kind'];
  port?: number;
  /** Data directories the server may run on (postgres: `-D`; redis: its working directory). */
  dataDirs: string[];
  /** `<project root>#<service>`: in the environment of an app's processes and its supervisor's arguments. */
  marker: string;
}

export function serviceIdentity(paths: NativePaths, svc: Service): ServiceIdentity {
  // A server whose account cannot reach the project keeps its data under /var/lib/taskmaster.
  const dataDirs = svc.kind === 'redis' || svc.kind === 'app' ? [paths.dataDir(svc.name)] : [paths.dataDir(svc.name), paths.externalDataDir(svc.name)];
  return {
    root: projectIdentity(paths.root),
    name: svc.name,
    kind: svc.kind,
    port: svc.port,
    dataDirs: dataDirs.map(projectIdentity),
    marker: serviceMarker(paths.root, svc.name),
  };
}

/**
 * A path with its symbolic links resolved (as it is, if it does not exist): the same project
 * reached through a link is the same project, and a copy is another.
 */
export function projectIdentity(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

export function serviceMarker(root: string, service: string): string {
  return `${projectIdentity(root)}#${service}`;
}

/** The supervisor's argument that carries the marker (visible in ps, so people can tell too). */
export const supervisorArgument = (marker: string) => `--tm-service=${marker}`;

export type Proof = { ours: true } | { ours: false; reason: string };

/** Whether the process a PID record names is, right now, this project's service. */
export async function proveProcess(record: PidRecord, id: ServiceIdentity): Promise<Proof> {
  const no = (reason: string): Proof => ({ ours: false, reason });
  if (record.project !== undefined && projectIdentity(record.project) !== id.root)
    return no(`it was written for ${record.project} (a copied .taskmaster folder)`);
  if (!(await isAlive(record.pid))) return no(`process ${record.pid} is gone`);
  if (record.startTicks === undefined) return no(`it records no start time, so process ${record.pid} cannot be told from another`);
  const ticks = await processStartTicks(record.pid);
  if (ticks !== record.startTicks)
    return no(ticks === undefined ? `the start time of process ${record.pid} cannot be read` : `PID ${record.pid} now belongs to another program`);
  const argv = await processArgv(record.pid);
  if (!argv || argv.length === 0) return no(`the command line of process ${record.pid} cannot be read`);
  const mismatch = await commandMismatch(record.pid, argv, id);
  return mismatch ? no(`process ${record.pid} (${oneLine(argv.join(' '), 60)}) is not this project's ${id.name}: ${mismatch}`) : { ours: true };
}

async function commandMismatch(pid: number, argv: string[], id: ServiceIdentity): Promise<string | undefined> {
  const program = basename(argv[0]!);
  switch (id.kind) {
    case 'postgres': {
      if (program !== 'postgres') return 'not a postgres server';
      const dir = argv[argv.indexOf('-D') + 1];
      return argv.includes('-D') && dir !== undefined && id.dataDirs.includes(projectIdentity(resolve(dir))) ? undefined : 'it runs on another data directory';
    }
    case 'redis': {
      if (!program.startsWith('redis-server')) return 'not a redis server';
      // Redis rewrites its command line to "redis-server HOST:PORT" and runs in its --dir.
      const cwd = await processCwd(pid);
      if (cwd === undefined) return argv.join(' ').endsWith(`:${id.port}`) ? undefined : 'it serves another port';
      return id.dataDirs.includes(cwd) ? undefined : 'it runs in another data directory';
    }
    case 'app':
      return basename(argv[1] ?? '') === 'supervisor.js' && argv.includes(supervisorArgument(id.marker)) ? undefined : 'not its supervisor';
    default:
      return launchedMismatch(pid, argv, id);
  }
}

/**
 * A server from a kind's launch (RabbitMQ, MariaDB, memcached, NATS, Prometheus, MailDev):
 * one of its kind's programs (argv[0], or argv[1] for a script run by its interpreter), working
 * in this project's data directory for it, where tm started it (mariadbd moves into the
 * `data` folder inside). Where the working directory cannot be read (no /proc), a path of
 * that directory among its arguments.
 */
async function launchedMismatch(pid: number, argv: string[], id: ServiceIdentity): Promise<string | undefined> {
  const native = KINDS[id.kind].native;
  if (!('launch' in native)) return 'not a server tm runs';
  const names = argv.slice(0, 2).map((a) => basename(a));
  if (!names.some((n) => native.processNames.includes(n))) return `not ${native.processNames.join(' or ')}`;
  const within = (path: string) => id.dataDirs.some((d) => path === d || path.startsWith(`${d}/`));
  const cwd = await processCwd(pid);
  if (cwd !== undefined) return within(cwd) ? undefined : 'it runs in another data directory';
  return argv.some((a) => id.dataDirs.some((d) => a.includes(`${d}/`))) ? undefined : 'it runs on another data directory';
}

/**
 * The live members of an app's recorded process group, when they are proven this project's
 * app: the group's leader (the app) still has the recorded start time, and every member
 * carries the service marker in its environment. Otherwise why not.
 */
export async function proveGroup(record: PidRecord, id: ServiceIdentity): Promise<{ members: number[] } | { reason: string }> {
  if (record.pgid === undefined) return { members: [] };
  if (record.project !== undefined && projectIdentity(record.project) !== id.root)
    return { reason: `it was written for ${record.project} (a copied .taskmaster folder)` };
  const members = await groupMembers(record.pgid);
  if (members.length === 0) return { members };
  if (record.pgidStartTicks === undefined) return { reason: `it records no start time for process group ${record.pgid}` };
  if ((await isAlive(record.pgid)) && (await processStartTicks(record.pgid)) !== record.pgidStartTicks)
    return { reason: `process group ${record.pgid} now belongs to another program` };
  for (const pid of members) {
    if ((await processEnvVar(pid, SERVICE_ID_VARIABLE)) !== id.marker)
      return { reason: `process ${pid} of group ${record.pgid} is not this project's ${id.name}` };
  }
  return { members };
}
