import type { RuntimeName } from '../../config/runtime-name.js';
import { pickServices } from '../../config/services.js';
import { down } from '../../stack/down.js';
import { downAll } from '../../stack/stacks.js';
import { runtimeFor } from '../../stack/select.js';
import type { Context } from '../context.js';
import { EXIT, TmError } from '../../errors.js';

/** The options of `tm down`. */
export type DownFlags = { volumes?: boolean; runtime?: RuntimeName; all?: boolean };

export async function run(ctx: Context, opts: DownFlags, args: string[]): Promise<void> {
  if (opts.all) return downAllStacks(ctx, opts, args);
  const config = await ctx.config();
  const services = pickServices(config, args);
  const { runtime } = await runtimeFor(config, opts.runtime, 'running');
  const result = await ctx.out.step(`stopping ${config.name}`, () =>
    down(runtime, services, { volumes: Boolean(opts.volumes), onProgress: (m) => ctx.out.info(m) }),
  );
  ctx.out.result(result, () =>
    [
      ...result.services.map((s) =>
        s.result === 'killed'
          ? `${ctx.out.c.yellow('!')} ${s.name}: killed (it did not stop within its grace period after SIGTERM)`
          : `${s.result === 'not running' ? ctx.out.c.dim('-') : ctx.out.c.green('✓')} ${s.name}: ${s.result}`,
      ),
      ...(result.removed.length ? [`data removed: ${result.removed.join(', ')}`] : []),
    ].join('\n'),
  );
}

/** `tm down --all`: every stack of every project on this machine (tm ls), data kept. */
async function downAllStacks(ctx: Context, opts: DownFlags, args: string[]): Promise<void> {
  if (args.length > 0 || opts.volumes || opts.runtime) {
    throw new TmError('TM_USAGE', '--all stops whole stacks with the runtime each last used, keeping their data', {
      exit: EXIT.usage,
      hint: 'tm down --all takes no service names, --volumes or --runtime',
    });
  }
  const stacks = await ctx.out.step('stopping every stack on this machine', () => downAll({ onProgress: (m) => ctx.out.info(m) }));
  ctx.out.result({ stacks }, () =>
    stacks.length === 0
      ? 'no stacks on this machine (tm ls)'
      : stacks
          .map((s) =>
            s.error
              ? `${ctx.out.c.red('✗')} ${s.project} in ${s.path}: ${s.error}`
              : `${ctx.out.c.green('✓')} ${s.project} in ${s.path}: ${s.services!.filter((x) => x.result !== 'not running').length} stopped`,
          )
          .join('\n'),
  );
  if (stacks.some((s) => s.error)) throw new TmError('TM_DOWN_INCOMPLETE', 'some stacks could not be stopped (above)', { exit: EXIT.problems });
}
