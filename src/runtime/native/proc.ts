import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

// Process facts from the OS. Linux answers from /proc; elsewhere we fall back to kill(pid, 0).

/** Start time of a process in clock ticks since boot (Linux), or undefined if unknown. */
export async function processStartTicks(pid: number): Promise<string | undefined> {
  const stat = await readStat(pid);
  return stat?.[19];
}

/** True if `pid` runs and is not a zombie (a zombie has exited; PID 1 may reap it late). */
export async function isAlive(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = await readStat(pid);
  if (stat === undefined) return process.platform !== 'linux';
  return stat[0] !== 'Z' && stat[0] !== 'X';
}

/** The command line of a process (Linux), for naming who holds a port. */
export async function commandLine(pid: number): Promise<string | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter(Boolean).join(' ') || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends `signal`, waits up to `graceMs` for the process to end, then SIGKILLs it (calling
 * `onKill` first, so the user hears why it takes long). Returns how it ended.
 */
export async function terminate(pid: number, signal: NodeJS.Signals, graceMs: number, onKill?: () => void): Promise<'exited' | 'killed' | 'gone'> {
  if (!(await isAlive(pid))) return 'gone';
  try {
    process.kill(pid, signal);
  } catch {
    return 'gone';
  }
  if (await waitGone(pid, graceMs)) return 'exited';
  onKill?.();
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'exited';
  }
  await waitGone(pid, 5000);
  return 'killed';
}

export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!(await isAlive(pid))) return true;
    await delay(10);
  }
  return !(await isAlive(pid));
}

/** Fields of /proc/PID/stat after the command name: [0] is the state, [19] the start time. */
async function readStat(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/stat`, 'utf8');
    return raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
