import { guardReplace } from '../../db/admin/databases.js';
import { refuseWholeDatabaseCopy } from '../../db/admin/schema-mode.js';
import { restoreSnapshot, validateSnapshotName } from '../../db/admin/snapshots.js';
import { EXIT, TmError } from '../../errors.js';
import type { Context } from '../context.js';
import { confirm } from '../prompt.js';
import { type DbFlags, dbTarget, onBranch } from './db-common.js';

/** The options of `tm db restore`. */
export type RestoreFlags = DbFlags & { force?: boolean };

export async function run(ctx: Context, opts: RestoreFlags, args: string[]): Promise<void> {
  const name = args[0]!;
  const target = await dbTarget(ctx, opts, 'later');
  const force = Boolean(opts.force);
  // Every refusal before asking, as tm db reset does: a question that will be refused anyway is noise.
  validateSnapshotName(name);
  refuseWholeDatabaseCopy(target, 'tm db restore');
  const db = await guardReplace(target, 'restore', force);
  if (!(await confirm(ctx, `Drop database ${db} and replace it with a copy of snapshot ${name}?`))) {
    throw new TmError('TM_ABORTED', 'restore cancelled; nothing was changed', { exit: EXIT.usage });
  }
  const r = await restoreSnapshot(target, name, { force });
  await onBranch(ctx, await ctx.config(), target);
  if (r.terminated > 0) ctx.out.warn(`ended ${r.terminated} other connection(s) to the database to replace it`);
  ctx.out.result(r, () => `restored snapshot ${r.snapshot}`);
}
