import type { RuntimeName } from '../../config/runtime-name.js';
import { pickServices } from '../../config/services.js';
import { bringUp } from '../../stack/bring-up.js';
import { claimPorts } from '../../stack/claim.js';
import { down } from '../../stack/down.js';
import { runtimeFor } from '../../stack/select.js';
import type { Context } from '../context.js';
import { prepareNative } from '../native-setup.js';
import type { Duration } from '../options.js';
import { renderUp, showStages } from './up.js';

/** The options of `tm restart`. */
export type RestartFlags = { timeout: Duration; runtime?: RuntimeName; ports?: 'auto' | 'fixed' };

export async function run(ctx: Context, opts: RestartFlags, args: string[]): Promise<void> {
  // Services start again: a stack that has no ports of its own yet gets them first.
  const { config } = await claimPorts(await ctx.config(), {
    runtime: opts.runtime,
    ports: opts.ports,
    reload: () => ctx.reloadConfig(),
  });
  const services = pickServices(config, args);
  const { runtime } = await runtimeFor(config, opts.runtime, 'running');
  await prepareNative(ctx, config, runtime, services);
  await ctx.out.step(`stopping ${services.map((s) => s.name).join(', ')}`, () => down(runtime, services, { onProgress: (m) => ctx.out.info(m) }));
  // The services come back as they were: migrating and seeding stay tm up's and tm db's.
  const result = await bringUp(config, runtime, services, {
    timeoutMs: opts.timeout.ms,
    signal: ctx.signal,
    onProgress: (m) => ctx.out.info(m),
    onWarning: (m) => ctx.out.warn(m),
    migrate: false,
    runStage: showStages(ctx),
  });
  ctx.out.result(result, () => renderUp(ctx, result));
}
