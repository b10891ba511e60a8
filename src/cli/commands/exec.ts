import { pickServices } from '../../config/services.js';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';
import { type RunFlags, runForService } from './service-run.js';

export async function run(ctx: Context, opts: RunFlags, args: string[]): Promise<number> {
  const [name, ...argv] = args;
  if (argv.length === 0) throw new TmError('TM_USAGE', 'tm exec needs a command to run', { exit: EXIT.usage, hint: `tm exec ${name} -- CMD [ARGS...]` });
  const svc = pickServices(await ctx.config(), [name!])[0]!;
  return runForService(ctx, opts, svc, argv, false);
}
