import { restoreSnapshot } from '../../db/admin/snapshots.js';
import type { Context } from '../context.js';
import { dbTarget } from './db-common.js';

export async function run(ctx: Context, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const r = await restoreSnapshot(await dbTarget(ctx, opts), args[0]!, { force: Boolean(opts.force) });
  if (r.terminated > 0) ctx.out.warn(`ended ${r.terminated} other connection(s) to the database to replace it`);
  ctx.out.result(r, () => `restored snapshot ${r.snapshot}`);
}
