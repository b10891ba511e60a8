import type { RuntimeName } from '../../config/runtime-name.js';
import type { Service } from '../../config/schema.js';
import { selectRuntime } from '../../stack/select.js';
import { prepareCommand, runInForeground } from '../../stack/service-command.js';
import type { Context } from '../context.js';

/** What every command that runs a program for a service takes. */
export type RunFlags = { runtime?: RuntimeName };

/**
 * Runs `argv` for `svc` on this terminal (in its container on Docker) and returns the
 * program's exit code. `client`: argv[0] is the service's client, told where the server is.
 */
export async function runForService(ctx: Context, opts: RunFlags, svc: Service, argv: string[], client: boolean): Promise<number> {
  const config = await ctx.config();
  const { runtime } = await selectRuntime(config, opts.runtime);
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const launch = await prepareCommand(runtime, svc, argv, { tty, client, server: client });
  ctx.out.debug(`running ${[launch.file, ...launch.args].join(' ')}${launch.cwd ? ` in ${launch.cwd}` : ''}`);
  return ctx.handOver(() => runInForeground(launch, runtime, argv[0]!));
}
