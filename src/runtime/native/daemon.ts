import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunAs } from './run-as.js';

export interface Daemon {
  child: ChildProcess;
  pid: number;
  /** Set once the process has exited (e.g. it failed during start). */
  exit?: { code: number | null; signal: NodeJS.Signals | null };
}

/**
 * Starts a server that outlives this CLI: its own session (so Ctrl-C in the terminal does
 * not reach it), output appended to `logFile`, not waited for by Node.
 */
export async function spawnDaemon(file: string, args: string[], opts: { logFile: string; runAs?: RunAs; env?: NodeJS.ProcessEnv; ipc?: boolean }): Promise<Daemon> {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const log = openSync(opts.logFile, 'a');
  try {
    const child = spawn(file, args, {
      detached: true,
      stdio: opts.ipc ? ['ignore', log, log, 'ipc'] : ['ignore', log, log],
      // A server running as another user must not inherit a cwd it cannot enter.
      cwd: opts.runAs ? '/' : undefined,
      uid: opts.runAs?.uid,
      gid: opts.runAs?.gid,
      env: opts.env ?? process.env,
    });
    const daemon: Daemon = { child, pid: child.pid ?? -1 };
    child.once('exit', (code, signal) => (daemon.exit = { code, signal }));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    daemon.pid = child.pid!;
    child.unref();
    return daemon;
  } finally {
    closeSync(log);
  }
}

/** Runs a short-lived helper (initdb) to completion with output appended to `logFile`. */
export async function runLogged(file: string, args: string[], opts: { logFile: string; runAs?: RunAs }): Promise<void> {
  await mkdir(dirname(opts.logFile), { recursive: true });
  const log = await open(opts.logFile, 'a');
  try {
    const child = spawn(file, args, {
      stdio: ['ignore', log.fd, log.fd],
      cwd: opts.runAs ? '/' : undefined,
      uid: opts.runAs?.uid,
      gid: opts.runAs?.gid,
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c) => resolve(c));
    });
    if (code !== 0) throw new Error(`${file} exited with code ${code}`);
  } finally {
    await log.close();
  }
}

/** The last `n` lines of a log file ([] if it does not exist). */
export async function tailLines(file: string, n: number): Promise<string[]> {
  if (n <= 0) return []; // slice(-0) would be every line
  try {
    const text = await readFile(file, 'utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n);
  } catch {
    return [];
  }
}
