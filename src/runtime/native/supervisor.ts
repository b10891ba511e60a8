// The supervisor of one app service (started detached by NativeRuntime): runs the app in a
// process group of its own with output appended to its log, tells tm the group's id, records
// how the app exited, and does not leave before the whole group is gone: on SIGTERM (tm down)
// and when the app ends by itself, what is left of the group gets SIGTERM, then SIGKILL after
// the grace period. A parent that exits on SIGTERM must not leave a child serving its port.
import { spawn } from 'node:child_process';
import { constants, openSync, rmSync, writeFileSync } from 'node:fs';
import { terminateGroup } from './proc.js';
import { START_MARKER } from './start-output.js';

interface Job {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  logFile: string;
  exitFile: string;
  graceMs: number;
  /** The service marker (verified-process.ts), recorded with the exit so a copied file is not taken for this project's. */
  service: string;
}

/** What the supervisor tells tm once the app was spawned (or could not be). */
export type SupervisorHello = { pgid: number } | { error: string };

const job = JSON.parse(process.env.TM_SUPERVISE ?? '{}') as Job;
const log = openSync(job.logFile, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
// One line per start, so the log tail of a crash shows this run only.
writeFileSync(log, `${START_MARKER}${job.argv.join(' ')} at ${new Date().toISOString()} ---\n`);
const child = spawn(job.argv[0]!, job.argv.slice(1), { cwd: job.cwd, env: job.env, detached: true, stdio: ['ignore', log, log] });
let stopping = false;
let exited = false;
/** The group's stop (SIGTERM, SIGKILL after `graceMs`), begun once by whichever comes first. */
let ending: Promise<unknown> | undefined;

function hello(message: SupervisorHello): void {
  if (process.send) process.send(message, () => process.disconnect());
}

child.on('spawn', () => hello({ pgid: child.pid! }));
child.on('error', (err) => {
  writeFileSync(log, `tm: cannot start ${job.argv[0]}: ${err.message}\n`);
  hello({ error: err.message });
  record(127, null);
  process.exit(0);
});
child.on('exit', (code, signal) => {
  record(code, signal);
  void drain();
});

let last: { code: number | null; signal: NodeJS.Signals | null } | undefined;

function record(code: number | null, signal: NodeJS.Signals | null, forced = false): void {
  exited = true;
  last = { code, signal };
  // Created anew (O_EXCL), so never written through a symbolic link left in its place.
  rmSync(job.exitFile, { force: true });
  writeFileSync(job.exitFile, `${JSON.stringify({ code, signal, stopped: stopping, forced, at: new Date().toISOString(), service: job.service })}\n`, {
    flag: 'wx',
  });
}

function term(): Promise<unknown> | undefined {
  if (child.pid === undefined) return undefined;
  ending ??= terminateGroup(child.pid, 'SIGTERM', job.graceMs);
  return ending;
}

/**
 * The app's own process has ended; its group may live on. Leave only once it is empty, or
 * 5 s after its SIGKILL (a process stuck in the kernel may never go).
 */
async function drain(): Promise<void> {
  // What outlived the grace period was killed: tm down says so.
  if ((await term()) === 'killed' && last) record(last.code, last.signal, true);
  process.exit(0);
}

function stop(): void {
  if (!exited) stopping = true;
  void term();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
