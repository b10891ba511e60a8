import { EXIT, TmError } from '../../errors.js';
import { describeItem, planPrune, prune } from '../../stack/prune.js';
import type { Context } from '../context.js';
import { confirm } from '../prompt.js';

export async function run(ctx: Context): Promise<void> {
  const plan = await planPrune();
  if (plan.stacks.length === 0) {
    ctx.out.result({ pruned: [] }, () => 'nothing to prune: every registered stack still has its folder');
    return;
  }
  for (const item of plan.stacks) {
    const what = describeItem(item);
    ctx.out.info(`${item.project} in ${item.path} (folder gone): ${what.length ? what.join(', ') : 'nothing left but its entry'}`);
    if (!item.docker && !plan.engine) ctx.out.warn(`no Docker engine answers: containers and volumes of ${item.path}, if any, are not removed`);
  }
  if (
    !(await confirm(ctx, `Remove ${plan.stacks.length} stack${plan.stacks.length === 1 ? '' : 's'} and what ${plan.stacks.length === 1 ? 'it' : 'they'} left?`))
  ) {
    throw new TmError('TM_ABORTED', 'prune cancelled; nothing was removed', { exit: EXIT.usage });
  }
  const done = await ctx.out.step('pruning', () => prune(plan));
  ctx.out.result({ pruned: done.map((d) => ({ project: d.project, path: d.path, removed: describeItem(d) })) }, () =>
    done.map((d) => `removed ${d.project} in ${d.path}${describeItem(d).length ? `: ${describeItem(d).join(', ')}` : ''}`).join('\n'),
  );
}
