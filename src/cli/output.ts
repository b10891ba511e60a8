import { Chalk, supportsColor, supportsColorStderr, type ChalkInstance } from 'chalk';
import { EXIT, formatProblem, isTmError, type ExitCode } from '../errors.js';
import { isMaskable, maskText } from '../env/mask.js';
import { formatDuration } from '../util/duration.js';

export interface OutputOptions {
  json: boolean;
  /** false for --no-color; NO_COLOR is read from env. */
  color: boolean;
  verbose: boolean;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

/**
 * The only thing that writes to the terminal. Results go to stdout (one JSON document with
 * --json), progress and errors to stderr. Spinners only on a TTY outside CI; every line
 * passes through secret redaction.
 */
export class Reporter {
  readonly json: boolean;
  readonly verbose: boolean;
  /** Colours for stdout and stderr (level 0 when colour is off). */
  readonly c: ChalkInstance;
  readonly ce: ChalkInstance;
  readonly interactive: boolean;
  private readonly stdout: NodeJS.WriteStream;
  private readonly stderr: NodeJS.WriteStream;
  private readonly secrets = new Set<string>();
  private emitted = false;

  constructor(opts: OutputOptions) {
    const env = opts.env ?? process.env;
    this.json = opts.json;
    this.verbose = opts.verbose;
    this.stdout = opts.stdout ?? process.stdout;
    this.stderr = opts.stderr ?? process.stderr;
    // chalk honours FORCE_COLOR by itself but not NO_COLOR.
    const off = opts.json || !opts.color || (env.NO_COLOR !== undefined && env.NO_COLOR !== '');
    this.c = new Chalk({ level: off ? 0 : supportsColor ? supportsColor.level : 0 });
    this.ce = new Chalk({ level: off ? 0 : supportsColorStderr ? supportsColorStderr.level : 0 });
    this.interactive = Boolean(this.stderr.isTTY) && !env.CI && !opts.json;
  }

  /**
   * Values that must never be printed (passwords, secrets), replaced by `****` whatever their
   * length (tm warns about short ones when it loads the project), but well-known defaults such
   * as a password "postgres", which hide nothing and would turn every service name into `****`.
   */
  addSecret(value: string | undefined): void {
    if (!isMaskable(value)) return;
    this.secrets.add(value);
    // A multi-line value (a PEM key) may be printed a line at a time: each line is masked too.
    if (value.includes('\n')) for (const line of value.split(/\r?\n/)) this.addSecret(line.trim());
  }

  /** Secrets and URL passwords (even ones we were not told about) become `****`. */
  redact(text: string): string {
    return maskText(text, this.secrets);
  }

  /** The command's result: `human()` text, or `data` as one JSON document with --json. */
  result(data: unknown, human: () => string, opts: { reveal?: boolean } = {}): void {
    this.emitted = true;
    // Only `--reveal` (tm env show) lets secrets through, and only in the result itself.
    const mask = opts.reveal ? (t: string) => t : (t: string) => this.redact(t);
    if (this.json) this.stdout.write(`${mask(JSON.stringify(data, null, 2))}\n`);
    else {
      const text = human();
      if (text) this.stdout.write(mask(text.endsWith('\n') ? text : `${text}\n`));
    }
  }

  /** The registered secret values (for GitHub's ::add-mask::). */
  secretValues(): string[] {
    return [...this.secrets];
  }

  /**
   * A GitHub Actions workflow command, on stderr (also with --json: stdout stays the result).
   * Redacted, except `::add-mask::` itself, which must carry the value (GitHub never shows it).
   */
  command(line: string, opts: { redact?: boolean } = {}): void {
    this.stderr.write(`${opts.redact === false ? line : this.redact(line)}\n`);
  }

  /** One more line of a streamed result on stdout (`tm logs -f`, `tm ci --json`). */
  stream(line: string): void {
    this.emitted = true;
    this.stdout.write(`${this.redact(line)}\n`);
  }

  /** A progress or info line on stderr (silent with --json). */
  info(message: string): void {
    if (!this.json) this.line(message);
  }

  debug(message: string): void {
    if (this.verbose && !this.json) this.line(this.ce.dim(message));
  }

  warn(message: string): void {
    this.line(`${this.ce.yellow('warning')} ${message}`);
  }

  /**
   * Runs one step of work with progress: a spinner on a TTY, else one line when it starts
   * (and one when it ends, so logs show durations). `failed` tells a result that reports a
   * failure (rather than throwing one) so it is not marked ✓.
   */
  async step<T>(
    label: string,
    work: (progress: (text: string) => void) => Promise<T>,
    done?: (value: T) => string,
    failed?: (value: T) => boolean,
  ): Promise<T> {
    const quiet = () => {};
    if (this.json) return work(quiet);
    const start = performance.now();
    const ended = (value: T) => `${done ? done(value) : label} ${this.ce.dim(`(${formatDuration(performance.now() - start)})`)}`;
    // ora never finishes redrawing on a terminal that reports zero columns (some `script`
    // sessions, serial consoles): there, plain lines.
    if (!this.interactive || !((this.stderr.columns ?? 0) > 0)) {
      this.line(`${this.ce.dim('…')} ${label}`);
      const value = await work(quiet);
      this.line(`${failed?.(value) ? this.ce.red('✗') : this.ce.green('✓')} ${ended(value)}`);
      return value;
    }
    // Lazy: ora (and its terminal helpers) only for a spinner on a terminal; CI and pipes never load it.
    const { default: ora } = await import('ora');
    // discardStdin puts the terminal in raw mode, where Ctrl-C is a byte ora means to turn into
    // SIGINT, but its listener never makes stdin flow: Ctrl-C was lost. The terminal keeps
    // sending SIGINT itself (children that must not get it run in their own process group).
    const spinner = ora({ text: this.redact(label), stream: this.stderr, color: 'cyan', discardStdin: false }).start();
    try {
      // `progress` adds to the label on the spinner's line (bytes so far...).
      const value = await work((text) => (spinner.text = this.redact(`${label} ${text}`)));
      if (failed?.(value)) spinner.fail(this.redact(ended(value)));
      else spinner.succeed(this.redact(ended(value)));
      return value;
    } catch (err) {
      spinner.fail(this.redact(label));
      throw err;
    }
  }

  /**
   * Shows an error on stderr (code and message, the problems, details, a hint; the stack with
   * TM_DEBUG), with --json also as `{ error }` on stdout, and returns the exit code to use.
   */
  fail(err: unknown, debug = false): ExitCode {
    if (isTmError(err)) {
      const lines = [`${this.ce.red('error')} ${err.code} ${err.message}`];
      for (const p of err.problems) lines.push(`  ${formatProblem(p)}`);
      for (const d of err.details) lines.push(this.ce.dim(`  ${d}`));
      if (err.hint) lines.push(`${this.ce.cyan('hint:')} ${err.hint}`);
      if (debug && err.stack) lines.push(this.ce.dim(err.stack));
      if (debug && err.cause instanceof Error && err.cause.stack) lines.push(this.ce.dim(`cause: ${err.cause.stack}`));
      this.line(lines.join('\n'));
      if (this.json && !this.emitted) {
        this.result(
          { error: { code: err.code, message: err.message, exit: err.exit, hint: err.hint, problems: err.problems, details: err.details } },
          () => '',
        );
      }
      return err.exit;
    }
    const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
    this.line(
      `${this.ce.red('error')} TM_INTERNAL ${err instanceof Error ? err.message : String(err)}\n` +
        `${this.ce.cyan('hint:')} this is a bug in tm; please report it with the output below\n${this.ce.dim(stack)}`,
    );
    if (this.json && !this.emitted) this.result({ error: { code: 'TM_INTERNAL', message: String(err), exit: EXIT.internal } }, () => '');
    return EXIT.internal;
  }

  private line(text: string): void {
    this.stderr.write(`${this.redact(text)}\n`);
  }
}
