import { spawn, type StdioOptions } from 'node:child_process';
import { constants } from 'node:os';

/** A program to run, prepared by whoever knows where it runs (a runtime). */
export interface Launch {
  file: string;
  args: string[];
  /** The whole environment of the program (credentials among it, never in `args`). */
  env: Record<string, string>;
  cwd?: string;
}

/** Every variable of `env` that has a value, to start a program's environment from. */
export function definedEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/**
 * Runs `launch` on this terminal (stdin, stdout and stderr are the program's) and resolves
 * with its exit code, 128 + n when a signal ended it, as a shell reports it. Rejects when it
 * cannot start (ENOENT: not installed).
 */
export function runForeground(launch: Launch, stdio: StdioOptions = 'inherit'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(launch.file, launch.args, { env: launch.env, cwd: launch.cwd, stdio });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
  });
}
