import { installHook } from '../../stack/git-hook.js';
import type { Context } from '../context.js';

export async function run(ctx: Context): Promise<void> {
  const config = await ctx.config();
  const r = await installHook(config);
  if (!config.db.branches) ctx.out.warn('db.branches is off in taskmaster.yml: the hook does nothing until it is on');
  const said = {
    created: `wrote ${r.file}`,
    appended: `added tm's lines to your hook ${r.file}`,
    updated: `updated tm's lines in ${r.file}`,
    unchanged: `${r.file} already runs tm`,
  }[r.action];
  ctx.out.result(r, () => `${said}: after each branch checkout, .env's DATABASE_URL names that branch's database`);
}
