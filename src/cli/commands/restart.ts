import { pickServices } from '../../config/services.js';
import { bringUp } from '../../stack/bring-up.js';
import { down } from '../../stack/down.js';
import { runtimeFor } from '../../stack/select.js';
import { parseDuration } from '../../util/duration.js';
import type { Context } from '../context.js';
import { prepareNative } from '../native-setup.js';
import { renderUp, showStages } from './up.js';

export async function run(ctx: Context, opts: Record<string, unknown>, args: string[]): Promise<void> {
  const config = await ctx.config();
  const services = pickServices(config, args);
  const timeoutMs = parseDuration(String(opts.timeout), '--timeout');
  const { runtime } = await runtimeFor(config, opts.runtime as string | undefined, 'running');
  await prepareNative(ctx, config, runtime, services);
  await ctx.out.step(`stopping ${services.map((s) => s.name).join(', ')}`, () => down(runtime, services, { onProgress: (m) => ctx.out.info(m) }));
  // The services come back as they were: migrating and seeding stay tm up's and tm db's.
  const result = await bringUp(config, runtime, services, {
    timeoutMs,
    signal: ctx.signal,
    onProgress: (m) => ctx.out.info(m),
    onWarning: (m) => ctx.out.warn(m),
    migrate: false,
    runStage: showStages(ctx),
  });
  ctx.out.result(result, () => renderUp(ctx, result));
}
