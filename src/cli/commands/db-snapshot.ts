import { createSnapshot, defaultSnapshotName, deleteSnapshot } from '../../db/admin/snapshots.js';
import type { Context } from '../context.js';
import { type DbFlags, dbTarget } from './db-common.js';

/** The options of `tm db snapshot`. */
export type SnapshotFlags = DbFlags & { delete?: string };

export async function run(ctx: Context, opts: SnapshotFlags, args: string[]): Promise<void> {
  const target = await dbTarget(ctx, opts);
  const doomed = opts.delete;
  if (doomed) {
    await deleteSnapshot(target, doomed);
    ctx.out.result({ deleted: doomed }, () => `snapshot ${doomed} deleted`);
    return;
  }
  const name = args[0] ?? defaultSnapshotName();
  const r = await createSnapshot(target, name);
  if (r.terminated > 0) ctx.out.warn(`ended ${r.terminated} other connection(s) to the database to copy it`);
  ctx.out.result(r, () => `snapshot ${name} taken (tm db restore ${name} brings it back)`);
}
