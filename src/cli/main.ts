import { type Command, CommanderError } from 'commander';
import { EXIT, TmError, fileSystemError, type ExitCode } from '../errors.js';
import type { GlobalOptions } from './context.js';
import { buildProgram, type Loader } from './program.js';

// Only commander is loaded eagerly: each command's module (and pg, ioredis, execa...) is
// imported when that command runs, so `tm --help` stays close to `node -e 0`.

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. */
export async function main(argv: string[], version: string): Promise<ExitCode> {
  let pending: { loader: Loader; cmd: Command; args: string[] } | undefined;
  const lazy =
    (loader: Loader) =>
    (...actionArgs: unknown[]) => {
      const cmd = actionArgs.at(-1) as Command;
      pending = { loader, cmd, args: cmd.args };
    };
  const usage: string[] = [];

  const program = buildProgram(version, lazy, (text) => usage.push(text));

  try {
    await program.parseAsync(helpAsFlag(argv, program));
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err, usage, argv);
    throw err;
  }
  if (!pending) return EXIT.ok;

  const globals = pending.cmd.optsWithGlobals() as GlobalOptions;
  const { Reporter } = await import('./output.js');
  const out = new Reporter({ json: Boolean(globals.json), color: globals.color !== false, verbose: Boolean(globals.verbose) });
  const controller = new AbortController();
  const interrupted = new Promise<ExitCode>((resolve) => {
    const onSignal = () => {
      controller.abort(new TmError('TM_INTERRUPTED', 'interrupted', { exit: EXIT.interrupted }));
      // Commands that started something get a moment to stop it; the rest end now.
      setTimeout(() => resolve(EXIT.interrupted), 10_000).unref();
    };
    // Kept (not once): ora's cursor restore (signal-exit) re-raises a signal that no other
    // listener holds, which would kill tm before it stops what it started.
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  const { createContext } = await import('./context.js');
  const ctx = createContext(out, globals, controller.signal);
  const debug = Boolean(process.env.TM_DEBUG);
  let release: (() => Promise<void>) | undefined;
  try {
    const { run } = await pending.loader();
    const opts = pending.cmd.opts();
    const { lockStackFor } = await import('./stack-lock.js');
    release = await lockStackFor(ctx, pending.cmd, opts);
    // A command that ends because of Ctrl-C (tm logs -f) still exits 130.
    const finished = run(ctx, opts, pending.args).then((): ExitCode => (controller.signal.aborted ? EXIT.interrupted : EXIT.ok));
    return await Promise.race([finished, interrupted]);
  } catch (err) {
    if (controller.signal.aborted) {
      out.fail(controller.signal.reason, debug);
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
function helpAsFlag(argv: string[], program: Command): string[] {
  const args = argv.slice(2);
  let i = 0;
  while (i < args.length && args[i]!.startsWith('-')) i += VALUE_FLAGS.has(args[i]!) ? 2 : 1;
  if (args[i] !== 'help') return argv;
  const before = [...argv.slice(0, 2), ...args.slice(0, i)];
  const names: string[] = [];
  let cmd = program;
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
async function commanderExit(err: CommanderError, usage: string[], argv: string[]): Promise<ExitCode> {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
  // `tm help health` exits 0; `tm` alone (help shown because a command is missing) is a usage error.
  if (err.code === 'commander.help') return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  const text = usage.join('').trim() || err.message;
  const [first, ...rest] = text.split('\n');
  const suggestion = rest.join(' ').match(/\(Did you mean (.+)\?\)/)?.[1];
  const message = first!.replace(/^error: /, '');
  const hint = suggestion ? `did you mean ${suggestion}? (tm --help lists commands and flags)` : 'tm --help lists commands and flags';
  // Shown like every other error: with --json, also as the one JSON document on stdout.
  const flags = argv.slice(2, argv.includes('--') ? argv.indexOf('--') : undefined);
  const { Reporter } = await import('./output.js');
  const out = new Reporter({ json: flags.includes('--json'), color: !flags.includes('--no-color'), verbose: false });
  return out.fail(new TmError('TM_USAGE', message, { exit: EXIT.usage, hint }));
}
