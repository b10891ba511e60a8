import { execa } from 'execa';
import { EXIT, TmError } from '../errors.js';

export interface RunCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** The error's code and hint when the command fails or cannot be started. */
  code: string;
  hint: string;
}

/** How a command is shown to a person: arguments quoted only where a shell would need it. */
export function showCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * Runs a command to completion (no shell), its output kept rather than printed; returns
 * stdout. A failure is a TmError naming the command, with the last lines of its output.
 */
export async function runCommand(argv: readonly [string, ...string[]], opts: RunCommandOptions): Promise<string> {
  const [file, ...args] = argv;
  const r = await execa(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: opts.env === undefined,
    cancelSignal: opts.signal,
    all: true,
    reject: false,
    stdin: 'ignore',
  });
  if (r.exitCode === 0) return String(r.stdout);
  if (opts.signal?.aborted) throw new TmError('TM_INTERRUPTED', `interrupted: ${showCommand(argv)}`, { exit: EXIT.interrupted });
  const how = r.exitCode === undefined ? (r.cause instanceof Error ? r.cause.message : (r.signal ?? 'did not run')) : `exit code ${r.exitCode}`;
  const lines = String(r.all ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '');
  throw new TmError(opts.code, `${showCommand(argv)} failed (${how})`, { exit: EXIT.problems, details: lines.slice(-15), hint: opts.hint });
}
