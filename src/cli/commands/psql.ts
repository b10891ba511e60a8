import { branchService } from '../../config/branch.js';
import { serviceDatabase } from '../../stack/database.js';
import { serviceOfKind } from '../../stack/service-command.js';
import { onBranchIfUp } from './db-common.js';
import type { Context } from '../context.js';
import { type RunFlags, runForService } from './service-run.js';

/** The options of `tm psql`. */
export type PsqlFlags = RunFlags & { service?: string };

export async function run(ctx: Context, opts: PsqlFlags, args: string[]): Promise<number> {
  const config = await ctx.config();
  const svc = serviceOfKind(config, 'postgres', opts.service);
  // psql opens the branch's database (db.branches): made first when new.
  if (config.branch && svc.name === branchService(config)?.name) await onBranchIfUp(ctx, config, serviceDatabase(config, [svc.name]));
  return runForService(ctx, opts, svc, ['psql', ...args], true);
}
