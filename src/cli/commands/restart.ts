import { down } from '../../stack/down.js';
import { pickServices } from '../../stack/services.js';
import { selectRuntime } from '../../stack/select.js';
import { up } from '../../stack/up.js';
import { parseDuration } from '../../util/duration.js';
import type { Context } from '../context.js';
import { prepareNative } from '../native-setup.js';
import { renderUp } from './up.js';

export async function run(ctx: Context, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const config = await ctx.config();
  const services = pickServices(config, args);
  const timeoutMs = parseDuration(String(opts.timeout), '--timeout');
  const { runtime } = await selectRuntime(config, opts.runtime as string | undefined);
  await prepareNative(ctx, config, runtime, services);
  await ctx.out.step(`stopping ${services.map((s) => s.name).join(', ')}`, () => down(runtime, services, { onProgress: (m) => ctx.out.info(m) }));
  const result = await ctx.out.step(`starting ${services.map((s) => s.name).join(', ')}`, () =>
    up(config, runtime, services, { timeoutMs, signal: ctx.signal, onProgress: (m) => ctx.out.info(m), onWarning: (m) => ctx.out.warn(m) }),
  );
  ctx.out.result(result, () => renderUp(ctx, result));
}
