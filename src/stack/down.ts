import type { Service } from '../config/schema.js';
import type { Runtime, StopResult } from '../runtime/types.js';

export interface DownResult {
  services: StopResult[];
  /** Services whose data was deleted (`--volumes`). */
  removed: string[];
}

/** Stops services in reverse order; with `volumes`, deletes data only after every process is gone. */
export async function down(runtime: Runtime, services: Service[], opts: { volumes?: boolean } = {}): Promise<DownResult> {
  const managed = services.filter((s) => s.kind !== 'app');
  const results = await runtime.stop(managed);
  if (opts.volumes) await runtime.removeData(managed);
  return { services: results, removed: opts.volumes ? managed.map((s) => s.name) : [] };
}
