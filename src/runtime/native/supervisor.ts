// The supervisor of one app service (started detached by NativeRuntime): runs the app in a
// process group of its own with output appended to its log, records how it exited, and on
// SIGTERM stops the whole group (SIGTERM, then SIGKILL after the grace period).
import { spawn } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';

interface Job {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  logFile: string;
  exitFile: string;
  graceMs: number;
}

const job = JSON.parse(process.env.TM_SUPERVISE ?? '{}') as Job;
const log = openSync(job.logFile, 'a');
const child = spawn(job.argv[0]!, job.argv.slice(1), { cwd: job.cwd, env: job.env, detached: true, stdio: ['ignore', log, log] });
let stopping = false;

child.on('error', (err) => {
  writeFileSync(log, `tm: cannot start ${job.argv[0]}: ${err.message}\n`);
  finish(127, null);
});
child.on('exit', (code, signal) => finish(code, signal));

function finish(code: number | null, signal: NodeJS.Signals | null): void {
  writeFileSync(job.exitFile, JSON.stringify({ code, signal, stopped: stopping, at: new Date().toISOString() }) + '\n');
  process.exit(0);
}

function stop(): void {
  if (stopping || child.pid === undefined) return;
  stopping = true;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, job.graceMs).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
