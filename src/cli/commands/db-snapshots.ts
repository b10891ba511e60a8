import { listSnapshots } from '../../db/admin/snapshots.js';
import type { Context } from '../context.js';
import { renderTable } from '../table.js';
import { type DbFlags, dbTarget } from './db-common.js';

export async function run(ctx: Context, opts: DbFlags): Promise<void> {
  const list = await listSnapshots(await dbTarget(ctx, opts));
  ctx.out.result({ snapshots: list }, () =>
    list.length === 0
      ? 'no snapshots (tm db snapshot NAME takes one)'
      : renderTable(
          ['name', 'taken', 'size'],
          list.map((s) => [s.name, s.created_at ?? '', `${(s.size_bytes / 1048576).toFixed(1)} MiB`]),
        ),
  );
}
