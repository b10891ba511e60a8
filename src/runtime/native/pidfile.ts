import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isAlive, processStartTicks } from './proc.js';

/** What we record about a process we started, so a later `tm` can find and verify it. */
export interface PidRecord {
  pid: number;
  /** /proc start time: tells our process from another that reused the PID. */
  startTicks?: string;
  startedAt: string;
  port?: number;
  command: string;
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

export type PidState = { state: 'running'; record: PidRecord } | { state: 'stale'; record: PidRecord; reason: string } | { state: 'none' };

/**
 * Whether the process in a PID file is still ours: alive, not a zombie, and with the start
 * time we recorded (otherwise the PID was reused by another program).
 */
export async function checkPidFile(file: string): Promise<PidState> {
  const record = await readPidFile(file);
  if (!record) return { state: 'none' };
  if (!(await isAlive(record.pid))) return { state: 'stale', record, reason: `process ${record.pid} is gone` };
  if (record.startTicks !== undefined) {
    const ticks = await processStartTicks(record.pid);
    if (ticks !== undefined && ticks !== record.startTicks) {
      return { state: 'stale', record, reason: `PID ${record.pid} now belongs to another program` };
    }
  }
  return { state: 'running', record };
}

export async function removePidFile(file: string): Promise<void> {
  await rm(file, { force: true });
}
