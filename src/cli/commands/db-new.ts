import { newMigration } from '../../db/migrate.js';
import type { Context } from '../context.js';

export async function run(ctx: Context, _opts: Record<string, unknown>, args: string[]): Promise<void> {
  const path = await newMigration(await ctx.config(), args.join('_'));
  ctx.out.result({ path }, () => `created ${path}`);
}
