import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { maskUrlPasswords } from '../env/mask.js';
import { splitCommand } from '../util/command.js';
import { withTimeout, type Probe } from './wait-for.js';

export interface CommandCheck {
  /** The program and its arguments, run without a shell (a string is split as app commands are). */
  command: string | string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** How much of the command's stderr a failure quotes. */
const STDERR_KEEP = 2000;

/**
 * Ready when the command exits 0. It runs in a process group of its own, so an attempt that
 * runs out of time ends the command and whatever it started.
 */
export function commandProbe(name: string, check: CommandCheck): Probe {
  const argv = splitCommand(check.command, name);
  return {
    name,
    target: `command ${maskUrlPasswords(argv.join(' '))}`,
    check(timeoutMs) {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: check.env, cwd: check.cwd, detached: true });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP)));
      const done = new Promise<void>((resolve, reject) => {
        child.once('error', (err) => reject(new Error(`cannot run ${argv[0]}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
        // 'exit', not 'close': a background process it left holding stderr must not hold us.
        child.once('exit', (code, signal) => {
          if (code === 0) return resolve();
          const last = stderr.trim().split('\n').at(-1);
          reject(new Error(`${basename(argv[0]!)} ${signal ? `ended by ${signal}` : `exited with code ${code}`}${last ? `: ${last}` : ''}`));
        });
      });
      return withTimeout(done, timeoutMs, `${basename(argv[0]!)}`, () => {
        child.stderr.destroy();
        if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      });
    },
  };
}
