import { CommanderError, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { EXIT, TmError, fileSystemError, isTmError, type ExitCode } from '../errors.js';
import { type Context, createContext, type GlobalOptions } from './context.js';
import { buildProgram, type Lazy } from './program.js';
import type { CommandPath } from './stack-lock.js';

// Only commander is loaded eagerly: each command's module (and pg, ioredis, execa...) is
// imported when that command runs, so `tm --help` stays close to `node -e 0`.

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. */
export async function main(argv: string[], version: string): Promise<number> {
  // The action of the command on the command line: it runs once the reporter and context exist.
  // biome-ignore lint/suspicious/noConfusingVoidType: as CommandModule.run (program.ts)
  let pending: { cmd: CommandPath; opts: Record<string, unknown>; run: (ctx: Context) => Promise<void | number> } | undefined;
  const lazy: Lazy = (loader) =>
    function (this) {
      const opts = this.opts();
      const args = this.args;
      pending = { cmd: this, opts, run: async (ctx) => (await loader()).run(ctx, opts, args) };
    };
  const usage: string[] = [];

  const program = buildProgram(version, lazy, (text) => usage.push(text));

  try {
    await program.parseAsync(helpAsFlag(argv, program));
  } catch (err) {
    if (err instanceof CommanderError) return usageError(commanderUsage(err, usage), argv);
    // An option's value that does not parse (a duration, a number): options.ts says what is wrong.
    if (isTmError(err)) return usageError(err, argv);
    throw err;
  }
  if (!pending) return EXIT.ok;

  const flags = program.opts();
  const globals: GlobalOptions = {
    json: Boolean(flags.json),
    color: flags.color,
    verbose: Boolean(flags.verbose),
    yes: Boolean(flags.yes),
    cwd: flags.cwd,
    config: flags.config,
  };
  // chalk is loaded only once a command runs: `tm --help` never needs it.
  const { Reporter } = await import('./output.js');
  const out = new Reporter({ json: globals.json, color: globals.color, verbose: globals.verbose });
  const controller = new AbortController();
  // While a program runs in the foreground (tm psql), Ctrl-C is its own: the terminal sends it
  // to the program too, which decides (psql cancels the query and goes on).
  let foreground = 0;
  const interrupted = new Promise<ExitCode>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (foreground > 0) {
        process.once(signal, onSignal);
        return;
      }
      controller.abort(new TmError('TM_INTERRUPTED', 'interrupted', { exit: EXIT.interrupted }));
      // Commands that started something get a moment to stop it; the rest end now.
      setTimeout(() => resolve(EXIT.interrupted), 10_000).unref();
    };
    // Kept (not once): ora's cursor restore (signal-exit) re-raises a signal that no other
    // listener holds, which would kill tm before it stops what it started.
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  const handOver = async <T>(work: () => Promise<T>): Promise<T> => {
    foreground++;
    try {
      return await work();
    } finally {
      foreground--;
    }
  };
  const ctx = createContext(out, globals, controller.signal, handOver);
  const debug = Boolean(process.env.TM_DEBUG);
  let release: (() => Promise<void>) | undefined;
  try {
    // Loaded once a command runs (not by tm --help); only commands that change the stack wait.
    const { lockStackFor } = await import('./stack-lock.js');
    release = await lockStackFor(ctx, pending.cmd, pending.opts);
    // A command that ends because of Ctrl-C (tm logs -f) still exits 130; one that ran a
    // program (tm psql, tm exec) exits with the program's code.
    const finished = pending.run(ctx).then((code): number => (controller.signal.aborted ? EXIT.interrupted : (code ?? EXIT.ok)));
    return await Promise.race([finished, interrupted]);
  } catch (err) {
    if (controller.signal.aborted) {
      // The command's own account of the interruption (what it stopped) where it gave one.
      out.fail(isTmError(err) && err.code === 'TM_INTERRUPTED' ? err : controller.signal.reason, debug);
      return EXIT.interrupted;
    }
    return out.fail(fileSystemError(err) ?? err, debug);
  } finally {
    await release?.().catch(() => undefined);
  }
}

/** Global flags that take a value, to find the command word after them. */
const VALUE_FLAGS = new Set(['-C', '--cwd', '--config']);

/**
 * `tm help db migrate` is `tm db migrate --help`. A name that is not a command is left for
 * commander to reject (unknown command, with a suggestion); names past a command without
 * subcommands are ignored.
 */
function helpAsFlag(argv: string[], program: CommandUnknownOpts): string[] {
  const args = argv.slice(2);
  let i = 0;
  while (i < args.length && args[i]!.startsWith('-')) i += VALUE_FLAGS.has(args[i]!) ? 2 : 1;
  if (args[i] !== 'help') return argv;
  const before = [...argv.slice(0, 2), ...args.slice(0, i)];
  const names: string[] = [];
  let cmd: CommandUnknownOpts = program;
  for (const name of args.slice(i + 1).filter((a) => !a.startsWith('-'))) {
    if (cmd.commands.length === 0) break;
    const sub = cmd.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (!sub) return [...before, ...names, name];
    names.push(name);
    cmd = sub;
  }
  return [...before, ...names, '--help'];
}

/** Help and version exit 0; anything commander rejects is a usage error (exit 2). */
function commanderUsage(err: CommanderError, usage: string[]): ExitCode | TmError {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
  // `tm help health` exits 0; `tm` alone (help shown because a command is missing) is a usage error.
  if (err.code === 'commander.help') return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  const text = usage.join('').trim() || err.message;
  const [first, ...rest] = text.split('\n');
  const suggestion = rest.join(' ').match(/\(Did you mean (.+)\?\)/)?.[1];
  const message = first!.replace(/^error: /, '');
  const hint = suggestion ? `did you mean ${suggestion}? (tm --help lists commands and flags)` : 'tm --help lists commands and flags';
  return new TmError('TM_USAGE', message, { exit: EXIT.usage, hint });
}

/** Shows a usage error like every other error: with --json, also as the one JSON document on stdout. */
async function usageError(err: ExitCode | TmError, argv: string[]): Promise<ExitCode> {
  if (!isTmError(err)) return err;
  const flags = argv.slice(2, argv.includes('--') ? argv.indexOf('--') : undefined);
  // chalk is loaded only for the error: help and version never need it.
  const { Reporter } = await import('./output.js');
  const out = new Reporter({ json: flags.includes('--json'), color: !flags.includes('--no-color'), verbose: false });
  return out.fail(err);
}
