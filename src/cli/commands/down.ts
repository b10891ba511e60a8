import { down } from '../../stack/down.js';
import { pickServices } from '../../config/services.js';
import { runtimeFor } from '../../stack/select.js';
import type { Context } from '../context.js';

export async function run(ctx: Context, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const config = await ctx.config();
  const services = pickServices(config, args);
  const { runtime } = await runtimeFor(config, opts.runtime as string | undefined, 'running');
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
