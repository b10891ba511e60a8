import { execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

// Process facts from the OS. Linux answers from /proc; elsewhere from ps(1) and kill(pid, 0).

const run = promisify(execFile);

/** `ps -o FIELD= -p PID` where there is no /proc (macOS). */
async function ps(pid: number, field: string): Promise<string | undefined> {
  if (process.platform === 'linux' || !Number.isInteger(pid) || pid <= 0) return undefined;
  const out = await run('ps', ['-o', `${field}=`, '-p', String(pid)]).then(
    (r) => r.stdout.trim(),
    () => '',
  );
  return out || undefined;
}

/**
 * When a process started: clock ticks since boot (Linux), else ps's start time; undefined if
 * unknown. Tells a process from a later one that reused its PID.
 */
export async function processStartTicks(pid: number): Promise<string | undefined> {
  const stat = await readStat(pid);
  return stat?.[19] ?? (await ps(pid, 'lstart'));
}

/** A process's arguments (Linux: exactly; elsewhere ps's command split at spaces), or undefined. */
export async function processArgv(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter(Boolean);
  } catch {
    return (await ps(pid, 'command'))?.split(/\s+/);
  }
}

/** The value of one variable in the environment a process started with (Linux), or undefined. */
export async function processEnvVar(pid: number, name: string): Promise<string | undefined> {
  const raw = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => undefined);
  const entry = raw?.split('\0').find((e) => e.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
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

/** The command line of a process, for naming who holds a port. */
export async function commandLine(pid: number): Promise<string | undefined> {
  return (await processArgv(pid))?.join(' ') || undefined;
}

/** The PIDs of every process (Linux); empty where /proc cannot be read. */
export async function processIds(): Promise<number[]> {
  return (await readdir('/proc').catch(() => [] as string[])).filter((e) => /^\d+$/.test(e)).map(Number);
}

/** The working directory of a process (Linux), or undefined if it cannot be read. */
export async function processCwd(pid: number): Promise<string | undefined> {
  return readlink(`/proc/${pid}/cwd`).catch(() => undefined);
}

/** How a stop ended: on the first signal, on SIGKILL, or there was nothing to stop. */
export type Ending = 'exited' | 'killed' | 'gone';

/**
 * Sends `signal`, waits up to `graceMs` for the process to end, then SIGKILLs it (calling
 * `onKill` first, so the user hears why it takes long). Returns how it ended.
 */
export function terminate(pid: number, signal: NodeJS.Signals, graceMs: number, onKill?: () => void): Promise<Ending> {
  const send = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
      return true;
    } catch {
      return false;
    }
  };
  return stop({ send, gone: async () => !(await isAlive(pid)), pollMs: 10 }, signal, graceMs, onKill);
}

/**
 * Live (not zombie) members of process group `pgid`: from /proc on Linux; elsewhere
 * kill(-pgid, 0) can only tell whether any member exists ([pgid] stands for the group).
 */
export async function groupMembers(pgid: number): Promise<number[]> {
  if (!Number.isInteger(pgid) || pgid <= 1) return [];
  if (process.platform !== 'linux') {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM' ? [pgid] : [];
    }
  }
  const members: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readStat(Number(entry));
    // [0] state, [1] parent, [2] process group
    if (stat && stat[2] === String(pgid) && stat[0] !== 'Z' && stat[0] !== 'X') members.push(Number(entry));
  }
  return members;
}

/** Sends `signal` to every process of group `pgid` (false: the group is gone). */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a whole process group: `signal`, then SIGKILL for what is left after `graceMs`.
 * Returns how it ended.
 */
export function terminateGroup(pgid: number, signal: NodeJS.Signals, graceMs: number, onKill?: () => void): Promise<Ending> {
  // Reading /proc for the members costs more than kill(pid, 0): look less often.
  return stop({ send: (sig) => signalGroup(pgid, sig), gone: async () => (await groupMembers(pgid)).length === 0, pollMs: 25 }, signal, graceMs, onKill);
}

/** What `stop` works on: a process or a group. `send` is false when there was none to signal. */
interface Target {
  send(signal: NodeJS.Signals): boolean;
  gone(): Promise<boolean>;
  pollMs: number;
}

/** `signal`, up to `graceMs` for the target to go, then SIGKILL and up to 5 s more. */
async function stop(target: Target, signal: NodeJS.Signals, graceMs: number, onKill?: () => void): Promise<Ending> {
  if ((await target.gone()) || !target.send(signal)) return 'gone';
  if (await waitGone(target, graceMs)) return 'exited';
  onKill?.();
  if (!target.send('SIGKILL')) return 'exited';
  await waitGone(target, 5000);
  return 'killed';
}

async function waitGone(target: Target, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await target.gone()) return true;
    await delay(target.pollMs);
  }
  return target.gone();
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
