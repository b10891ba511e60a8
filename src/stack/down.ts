import type { Service } from '../config/schema.js';
import type { Runtime, StopResult } from '../runtime/types.js';

export interface DownResult {
  services: StopResult[];
  /** Services whose data was deleted (`--volumes`). */
  removed: string[];
}

/** Stops services in reverse order; with `volumes`, deletes data only after every process is gone. */
export async function down(
  runtime: Runtime,
  services: Service[],
  opts: { volumes?: boolean; onProgress?: (message: string) => void } = {},
): Promise<DownResult> {
  const states = await runtime.status(services);
  const managed = services.filter((s) => states.find((x) => x.name === s.name)?.state !== 'unmanaged');
  const results = await runtime.stop(managed, { onProgress: opts.onProgress });
  const stateful = managed.filter((s) => s.kind !== 'app');
  if (opts.volumes) await runtime.removeData(stateful);
  return { services: results, removed: opts.volumes ? stateful.map((s) => s.name) : [] };
}
