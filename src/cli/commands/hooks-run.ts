import { optionalDatabase } from '../../stack/database.js';
import type { Context } from '../context.js';
import { onBranchIfUp } from './db-common.js';

/**
 * What the post-checkout hook runs: after a branch checkout ($3 = 1), the branch's database
 * (made when new) and .env pointed at it. A server that is not running is no failure: the
 * database is made by the next tm up or tm db command.
 */
export async function run(ctx: Context, _opts: unknown, args: string[]): Promise<void> {
  const [hook, , , flag] = args;
  if (hook !== 'post-checkout' || flag !== '1') return;
  const config = await ctx.config();
  if (!config.branch) return;
  if (!(await onBranchIfUp(ctx, config, await optionalDatabase(config)))) {
    ctx.out.info(
      `branch ${config.branch.branch ?? '(detached HEAD)'}: database ${config.branch.database} is made by the next tm up or tm db command (the server is not running)`,
    );
  }
}
