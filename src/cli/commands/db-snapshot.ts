import { createSnapshot, defaultSnapshotName, deleteSnapshot } from '../../db/admin/snapshots.js';
import type { Context } from '../context.js';
import { dbTarget } from './db-common.js';

export async function run(ctx: Context, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const target = await dbTarget(ctx, opts);
  if (opts.delete) {
    await deleteSnapshot(target, String(opts.delete));
    ctx.out.result({ deleted: opts.delete }, () => `snapshot ${String(opts.delete)} deleted`);
    return;
  }
  const name = args[0] ?? defaultSnapshotName();
  const r = await createSnapshot(target, name);
  if (r.terminated > 0) ctx.out.warn(`ended ${r.terminated} other connection(s) to the database to copy it`);
  ctx.out.result(r, () => `snapshot ${name} taken (tm db restore ${name} brings it back)`);
}
