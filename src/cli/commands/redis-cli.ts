import { serviceOfKind } from '../../stack/service-command.js';
import type { Context } from '../context.js';
import { type RunFlags, runForService } from './service-run.js';

/** The options of `tm redis-cli`. */
export type RedisCliFlags = RunFlags & { service?: string };

export async function run(ctx: Context, opts: RedisCliFlags, args: string[]): Promise<number> {
  const svc = serviceOfKind(await ctx.config(), 'redis', opts.service);
  return runForService(ctx, opts, svc, ['redis-cli', ...args], true);
}
