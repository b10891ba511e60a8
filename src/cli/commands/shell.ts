import { pickServices } from '../../config/services.js';
import { shellArgv } from '../../stack/service-command.js';
import type { Context } from '../context.js';
import { type RunFlags, runForService } from './service-run.js';

export async function run(ctx: Context, opts: RunFlags, args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const svc = pickServices(await ctx.config(), [name!])[0]!;
  return runForService(ctx, opts, svc, [...shellArgv(svc), ...rest], true);
}
