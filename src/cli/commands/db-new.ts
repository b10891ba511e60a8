import { newMigration, newSeed } from '../../db/migrations/sql/runner.js';
import type { Context } from '../context.js';

export async function run(ctx: Context, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const config = await ctx.config();
  const path = opts.seed ? await newSeed(config, args.join('_')) : await newMigration(config, args.join('_'));
  ctx.out.result({ path }, () => `created ${path}`);
}
