import { openMigrations } from '../../db/migrations/layouts.js';
import type { Migrations } from '../../db/migrations/types.js';
import { newSeed } from '../../db/seeds/seed.js';
import type { Context } from '../context.js';
import type { DbFlags } from './db-common.js';

/** The options of `tm db new` (--database-url is accepted, as by every tm db command, and unused). */
export type NewFlags = DbFlags & { seed?: boolean };

export async function run(ctx: Context, opts: NewFlags, args: string[]): Promise<void> {
  const config = await ctx.config();
  const name = args.join('_');
  const path = opts.seed ? await newSeed(config, name) : await newMigration(await openMigrations(config), name);
  ctx.out.result({ path }, () => `created ${path}`);
}

function newMigration(migrations: Migrations, name: string): Promise<string> {
  if (!migrations.newFile) throw migrations.unsupported('newFile', 'tm db new');
  return migrations.newFile(name);
}
