import { isTmError } from '../../errors.js';
import { optionalDatabase } from '../../stack/database.js';
import type { Context } from '../context.js';
import { onBranch } from './db-common.js';

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
  const target = await optionalDatabase(config);
  try {
    await onBranch(ctx, config, target);
  } catch (err) {
    if (!isTmError(err) || err.code !== 'TM_DB_UNREACHABLE') throw err;
    await onBranch(ctx, config, undefined);
    ctx.out.info(
      `branch ${config.branch.branch ?? '(detached HEAD)'}: database ${config.branch.database} is made by the next tm up or tm db command (the server is not running)`,
    );
  }
}
