import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { groupMembers, isAlive, processStartTicks } from './proc.js';

/** What we record about a process we started, so a later `tm` can find and verify it. */
export interface PidRecord {
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
  await writeFile(tmp, JSON.stringify(record) + '\n');
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
 * Whether the process in a PID file is still ours: alive, not a zombie, and with the start
 * time we recorded (otherwise the PID was reused by another program). An app whose
 * supervisor died (kill -9) still counts as running while its process group lives.
 */
export async function checkPidFile(file: string): Promise<PidState> {
  const record = await readPidFile(file);
  if (!record) return { state: 'none' };
  let reason: string | undefined;
  if (!(await isAlive(record.pid))) reason = `process ${record.pid} is gone`;
  else if (record.startTicks !== undefined) {
    const ticks = await processStartTicks(record.pid);
    if (ticks !== undefined && ticks !== record.startTicks) reason = `PID ${record.pid} now belongs to another program`;
  }
  if (reason === undefined) return { state: 'running', record };
  const members = await ourGroup(record);
  if (members.length > 0) return { state: 'running', record, unsupervised: members };
  return { state: 'stale', record, reason };
}

/** Live members of the recorded app group, unless its number now leads another program's group. */
async function ourGroup(record: PidRecord): Promise<number[]> {
  if (record.pgid === undefined) return [];
  if (record.pgidStartTicks !== undefined && (await isAlive(record.pgid))) {
    const ticks = await processStartTicks(record.pgid);
    if (ticks !== undefined && ticks !== record.pgidStartTicks) return [];
  }
  return groupMembers(record.pgid);
}

export async function removePidFile(file: string): Promise<void> {
  await rm(file, { force: true });
}
