/** Exit codes, as documented in README.md ("Exit codes"). */
export const EXIT = {
  ok: 0,
  problems: 1,
  usage: 2,
  config: 3,
  runtime: 4,
  timeout: 5,
  migration: 6,
  internal: 70,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Failures that several places report: one exit code each, wherever they are thrown (a
 * service that exited is 5 for an app and for Redis alike; a refused login is 3 in tm up and
 * in tm db wait). As in the README's table.
 */
const EXIT_OF_CODE: Record<string, ExitCode> = {
  TM_SERVICE_EXITED: EXIT.timeout,
  TM_HEALTH_TIMEOUT: EXIT.timeout,
  TM_PG_AUTH_FAILED: EXIT.config,
  TM_DB_LOGIN_REFUSED: EXIT.config,
  TM_DB_URL: EXIT.config,
  TM_PORT_TAKEN: EXIT.runtime,
  TM_INTERRUPTED: EXIT.interrupted,
};

/** One located problem, e.g. a config key at file:line:column. */
export interface Problem {
  file?: string;
  line?: number;
  column?: number;
  /** Dotted path inside the document, e.g. `services.postgres.port`. */
  path?: string;
  message: string;
}

export interface TmErrorOptions {
  hint?: string;
  exit?: ExitCode;
  cause?: unknown;
  problems?: Problem[];
  /** Extra lines shown under the message (e.g. the last lines of a log). */
  details?: string[];
}

/**
 * A user-facing error: a stable code, a one-line message, and a hint that says the fix.
 * Core code throws these; only the CLI decides how to show them and which exit code to use.
 */
export class TmError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly exit: ExitCode;
  readonly problems: Problem[];
  readonly details: string[];

  constructor(code: string, message: string, opts: TmErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TmError';
    this.code = code;
    this.hint = opts.hint;
    this.exit = EXIT_OF_CODE[code] ?? opts.exit ?? EXIT.problems;
    this.problems = opts.problems ?? [];
    this.details = opts.details ?? [];
  }
}

export function isTmError(err: unknown): err is TmError {
  return err instanceof TmError;
}

/** Formats `file:line:column path: message` for one problem. */
export function formatProblem(p: Problem): string {
  let where = p.file ?? '';
  if (p.file && p.line !== undefined) where += `:${p.line}`;
  if (p.file && p.line !== undefined && p.column !== undefined) where += `:${p.column}`;
  const path = p.path ? `${p.path}: ` : '';
  return where ? `${where} ${path}${p.message}` : `${path}${p.message}`;
}

/** Short text of any thrown value, for "last error" fields. */
export function errorText(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return errorText(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (err.message) return err.message;
    if (code) return code;
    return err.name;
  }
  return String(err);
}

/** What a file-system error means for the user, and what to do about it. */
const FILE_SYSTEM: Record<string, { what: string; hint: (path: string) => string }> = {
  EEXIST: { what: 'a file is in the way', hint: (p) => `move or remove ${p} (tm keeps its state in .taskmaster/)` },
  ENOTDIR: { what: 'part of the path is a file, not a folder', hint: (p) => `move away the file on the way to ${p}` },
  EISDIR: { what: 'it is a folder, not a file', hint: (p) => `move or remove the folder ${p}` },
  EACCES: { what: 'permission denied', hint: (p) => `check the owner and mode of ${p} (ls -ld), or run tm as its owner` },
  EPERM: { what: 'operation not permitted', hint: (p) => `check the owner and mode of ${p} (ls -ld), or run tm as its owner` },
  EROFS: { what: 'the file system is read-only', hint: (p) => `run tm where ${p} can be written` },
  ENOSPC: { what: 'no space left on the device', hint: (p) => `free some disk space (df -h ${p})` },
};

/**
 * A file-system error of the user's machine (a file where a folder should be, no permission,
 * a full disk) as a user error with a hint, or undefined for anything else.
 */
export function fileSystemError(err: unknown): TmError | undefined {
  const e = err as NodeJS.ErrnoException;
  const known = e instanceof Error && typeof e.code === 'string' ? FILE_SYSTEM[e.code] : undefined;
  if (!known || !e.path) return undefined;
  return new TmError('TM_FILESYSTEM', `cannot ${e.syscall ?? 'use'} ${e.path}: ${known.what} (${e.code})`, { hint: known.hint(e.path), cause: err });
}
