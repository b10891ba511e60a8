import { serviceOfKind } from '../../stack/service-command.js';
import type { Context } from '../context.js';
import { type RunFlags, runForService } from './service-run.js';

/** The options of `tm psql`. */
export type PsqlFlags = RunFlags & { service?: string };

export async function run(ctx: Context, opts: PsqlFlags, args: string[]): Promise<number> {
  const svc = serviceOfKind(await ctx.config(), 'postgres', opts.service);
  return runForService(ctx, opts, svc, ['psql', ...args], true);
}
