import { guardReplace } from '../../db/admin/databases.js';
import { resetDatabase } from '../../db/admin/reset.js';
import { schemaOf } from '../../db/admin/schema-mode.js';
import { seedEnv } from '../../db/seeds/seed.js';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';
import { confirm } from '../prompt.js';
import { type DbFlags, dbTarget, onBranch } from './db-common.js';

/** The options of `tm db reset`. */
export type ResetFlags = DbFlags & { env?: string; force?: boolean };

export async function run(ctx: Context, opts: ResetFlags): Promise<void> {
  const config = await ctx.config();
  const target = await dbTarget(ctx, opts, 'later');
  const force = Boolean(opts.force);
  const db = await guardReplace(target, 'reset', force); // before asking: a question that will be refused anyway is noise
  const schema = schemaOf(target);
  const what = schema ? `schema ${schema} of database ${db}` : `database ${db}`;
  if (!(await confirm(ctx, `Drop ${what} and build it again from migrations and seeds?`))) {
    throw new TmError('TM_ABORTED', 'reset cancelled; nothing was changed', { exit: EXIT.usage });
  }
  const result = await ctx.out.step(`resetting ${what}`, () =>
    resetDatabase(config, target, { env: seedEnv(opts.env), force, onStep: (m) => ctx.out.info(m) }),
  );
  await onBranch(ctx, await ctx.config(), target);
  if (result.terminated > 0) ctx.out.warn(`ended ${result.terminated} other connection(s) to ${db}`);
  ctx.out.result(result, () =>
    result.path === 'template'
      ? `${db} reset from the cached template of these migration and seed files`
      : schema
        ? `schema ${schema} of ${db} reset by replaying ${result.migrations} migration(s) and ${result.seeds} seed(s); the rest of ${db} is untouched`
        : `${db} reset by replaying ${result.migrations} migration(s) and ${result.seeds} seed(s); cached as a template for next time`,
  );
}
