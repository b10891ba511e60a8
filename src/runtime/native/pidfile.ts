import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Service } from '../../config/schema.js';
import type { NativePaths } from './paths.js';
import { proveGroup, proveProcess, serviceIdentity } from './verified-process.js';

/** What we record about a process we started, so a later `tm` can find and verify it. */
export interface PidRecord {
  /** The project directory this record was written for (a copied .taskmaster folder is another's). */
  project?: string;
  pid: number;
  /** /proc start time: tells our process from another that reused the PID. */
  startTicks?: string;
  startedAt: string;
  port?: number;
  command: string;
  /** App services: the app's own process group (its leader is the app; pid is the supervisor). */
  pgid?: number;
  /** /proc start time of the group's leader, to tell our group from a later one with its number. */
  pgidStartTicks?: string;
  /** Postgres: the socket directory made for this start (removed once the server is gone). */
  socketDir?: string;
}

export async function writePidFile(file: string, record: PidRecord): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record)}\n`);
  await rename(tmp, file);
}

export async function readPidFile(file: string): Promise<PidRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(file, 'utf8')) as PidRecord;
    return Number.isInteger(record.pid) ? record : undefined;
  } catch {
    return undefined;
  }
}

export type PidState =
  | {
      state: 'running';
      record: PidRecord;
      /** The supervisor is gone but these processes of the app's group live on (found by pgid). */
      unsupervised?: number[];
    }
  | { state: 'stale'; record: PidRecord; reason: string }
  | { state: 'none' };

/**
 * Whether the process a service's PID file names is running and proven this project's (see
 * verified-process.ts): a zombie, a reused PID, a record copied from another project or one
 * naming another program is stale. An app whose supervisor died (kill -9) still counts as
 * running while its process group lives, if that group is proven the app's.
 */
export async function checkPidFile(paths: NativePaths, svc: Service): Promise<PidState> {
  const record = await readPidFile(paths.pidFile(svc.name));
  if (!record) return { state: 'none' };
  const id = serviceIdentity(paths, svc);
  const proof = await proveProcess(record, id);
  if (proof.ours) return { state: 'running', record };
  const group = await proveGroup(record, id);
  if ('members' in group && group.members.length > 0) return { state: 'running', record, unsupervised: group.members };
  return { state: 'stale', record, reason: 'reason' in group ? `${proof.reason}; ${group.reason}` : proof.reason };
}

export async function removePidFile(file: string): Promise<void> {
  await rm(file, { force: true });
}
