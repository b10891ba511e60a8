import type { Config } from '../config/load.js';
import type { Service } from '../config/schema.js';
import { assertAppsInstalled } from '../runtime/native/app-install.js';
import type { Runtime } from '../runtime/types.js';
import type { Context } from './context.js';

/**
 * What the native runtime needs before `tm up` starts anything: the apps' dependencies
 * installed. Docker builds its own images, so there is nothing to check there.
 */
export async function prepareNative(ctx: Context, config: Config, runtime: Runtime, services: Service[]): Promise<void> {
  if (runtime.name !== 'native') return;
  await assertAppsInstalled(config.root, services, ctx.cwd);
}
