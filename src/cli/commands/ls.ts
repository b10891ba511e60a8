import { describePorts } from '../../config/stack.js';
import { listStacks, type StackInfo } from '../../stack/stacks.js';
import { formatBytes } from '../../util/bytes.js';
import { formatUptime } from '../../util/duration.js';
import type { Context } from '../context.js';
import { renderTable } from '../table.js';

export async function run(ctx: Context): Promise<void> {
  const stacks = await listStacks({ cwd: ctx.cwd });
  ctx.out.result({ stacks }, () => {
    if (stacks.length === 0) return 'no stacks on this machine yet (tm up registers one)';
    const { c } = ctx.out;
    const state = (s: StackInfo) =>
      s.state === 'running' ? c.green(s.state) : s.state === 'gone' ? c.red('folder gone') : s.state === 'unknown' ? c.yellow(s.state) : c.dim(s.state);
    const table = renderTable(
      ['', 'project', 'path', 'branch', 'runtime', 'ports', 'state', 'uptime', 'data'],
      stacks.map((s) => [
        s.current ? '*' : '',
        s.project,
        s.path,
        s.branch ?? '',
        s.runtime ?? '',
        describePorts(s.ports),
        state(s),
        s.uptime_s !== undefined ? formatUptime(s.uptime_s) : '',
        s.data_bytes !== undefined ? formatBytes(s.data_bytes) : '',
      ]),
    );
    const problems = stacks.filter((s) => s.problem).map((s) => `${s.path}: ${s.problem}`);
    const gone = stacks.some((s) => s.state === 'gone') ? ['', 'tm prune removes the stacks whose folder is gone, with what they left'] : [];
    return [table, ...(problems.length ? ['', ...problems] : []), ...gone].join('\n');
  });
}
