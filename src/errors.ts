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
    this.exit = opts.exit ?? EXIT.problems;
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
