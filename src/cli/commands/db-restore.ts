import { restoreSnapshot } from '../../db/admin/snapshots.js';
import type { Context } from '../context.js';
import { type DbFlags, dbTarget } from './db-common.js';

/** The options of `tm db restore`. */
export type RestoreFlags = DbFlags & { force?: boolean };

export async function run(ctx: Context, opts: RestoreFlags, args: string[]): Promise<void> {
  const r = await restoreSnapshot(await dbTarget(ctx, opts), args[0]!, { force: Boolean(opts.force) });
  if (r.terminated > 0) ctx.out.warn(`ended ${r.terminated} other connection(s) to the database to replace it`);
  ctx.out.result(r, () => `restored snapshot ${r.snapshot}`);
}
