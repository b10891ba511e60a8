import type { Config } from '../../config/load.js';
import { listBranchDatabases, pruneBranchDatabases, type BranchDatabase } from '../../db/admin/branches.js';
import { EXIT, TmError } from '../../errors.js';
import { formatBytes } from '../../util/bytes.js';
import { formatUptime } from '../../util/duration.js';
import type { Context } from '../context.js';
import { confirm } from '../prompt.js';
import { renderTable } from '../table.js';
import { type DbFlags, dbTarget } from './db-common.js';

/** The options of `tm db branches`. */
export type BranchesFlags = DbFlags & { prune?: boolean };

export async function run(ctx: Context, opts: BranchesFlags): Promise<void> {
  const config = await ctx.config();
  const fact = requireBranches(config);
  // Listing makes nothing: only the server of the target matters.
  const target = await dbTarget(ctx, opts, 'later');
  const list = await listBranchDatabases(fact, target);
  if (!opts.prune) {
    ctx.out.result({ branch: fact.branch ?? null, database: fact.database, databases: list }, () => renderList(ctx, list));
    return;
  }
  const stale = list.filter((b) => !b.live && !b.default && !b.current);
  if (stale.length === 0) {
    ctx.out.result({ pruned: [] }, () => 'nothing to prune: every branch database has its branch');
    return;
  }
  for (const b of stale) ctx.out.info(`${b.database} (branch ${b.branch ?? '(detached HEAD)'} is gone, ${formatBytes(b.size_bytes)})`);
  if (!(await confirm(ctx, `Drop ${stale.length} branch database${stale.length === 1 ? '' : 's'} whose branch is gone?`))) {
    throw new TmError('TM_ABORTED', 'prune cancelled; nothing was dropped', { exit: EXIT.usage });
  }
  const dropped = await ctx.out.step('dropping branch databases', () => pruneBranchDatabases(target, stale));
  ctx.out.result({ pruned: stale.filter((b) => dropped.includes(b.database)) }, () => dropped.map((d) => `dropped ${d}`).join('\n'));
}

/** The branch fact, or why there is none: db.branches off, or no git checkout here. */
function requireBranches(config: Config): NonNullable<Config['branch']> {
  if (config.branch) return config.branch;
  throw new TmError(
    'TM_NO_BRANCHES',
    config.db.branches ? `no git checkout holds ${config.root}: branch databases follow a git branch` : 'branch databases are off in this project',
    {
      exit: EXIT.usage,
      hint: config.db.branches
        ? 'run it in a git work tree (git init)'
        : 'set db.branches: true in taskmaster.yml (and tm hooks install to switch .env on checkout)',
    },
  );
}

function renderList(ctx: Context, list: BranchDatabase[]): string {
  if (list.length === 0) return 'no branch databases yet (one is made on the first tm up or tm db command on a branch)';
  const ago = (iso?: string) => (iso ? `${formatUptime(Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000)))} ago` : '');
  return renderTable(
    ['', 'branch', 'database', 'size', 'last used', 'from'],
    list.map((b) => [
      b.current ? '*' : '',
      `${b.branch ?? '(detached HEAD)'}${b.default ? ' (default)' : ''}${b.live ? '' : ctx.out.c.yellow(' (gone)')}`,
      b.database,
      formatBytes(b.size_bytes),
      ago(b.used_at),
      b.from ?? '',
    ]),
  );
}
