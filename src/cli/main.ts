import { type Command, CommanderError } from 'commander';
import { EXIT, TmError, fileSystemError, type ExitCode } from '../errors.js';
import type { GlobalOptions } from './context.js';
import { buildProgram, type Loader } from './program.js';

// Only commander is loaded eagerly: each command's module (and pg, ioredis, execa...) is
// imported when that command runs, so `tm --help` stays close to `node -e 0`.

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. */
export async function main(argv: string[], version: string): Promise<ExitCode> {
  let pending: { loader: Loader; cmd: Command; args: string[] } | undefined;
  const lazy = (loader: Loader) => (...actionArgs: unknown[]) => {
    const cmd = actionArgs.at(-1) as Command;
    pending = { loader, cmd, args: cmd.args };
  };
  const usage: string[] = [];

  const program = buildProgram(version, lazy, (text) => usage.push(text));

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err, usage);
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
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  const { createContext } = await import('./context.js');
  const ctx = createContext(out, globals, controller.signal);
  const debug = Boolean(process.env.TM_DEBUG);
  try {
    const { run } = await pending.loader();
    const opts = pending.cmd.opts();
    // A command that ends because of Ctrl-C (tm logs -f) still exits 130.
    const finished = run(ctx, opts, pending.args).then((): ExitCode => (controller.signal.aborted ? EXIT.interrupted : EXIT.ok));
    return await Promise.race([finished, interrupted]);
  } catch (err) {
    if (controller.signal.aborted) {
      out.fail(controller.signal.reason, debug);
      return EXIT.interrupted;
    }
    return out.fail(fileSystemError(err) ?? err, debug);
  }
}

/** Help and version exit 0; anything commander rejects is a usage error (exit 2). */
function commanderExit(err: CommanderError, usage: string[]): ExitCode {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
  // `tm help health` exits 0; `tm` alone (help shown because a command is missing) is a usage error.
  if (err.code === 'commander.help') return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  const text = usage.join('').trim() || err.message;
  const [first, ...rest] = text.split('\n');
  const suggestion = rest.join(' ').match(/\(Did you mean (.+)\?\)/)?.[1];
  const message = first!.replace(/^error: /, '');
  const hint = suggestion ? `did you mean ${suggestion}? (tm --help lists commands and flags)` : 'tm --help lists commands and flags';
  process.stderr.write(`error TM_USAGE ${message}\nhint: ${hint}\n`);
  return EXIT.usage;
}
