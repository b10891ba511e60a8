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
  const results: StopResult[] = [];
  for (const svc of [...managed].reverse()) results.unshift(await runtime.stop(svc));
  const removed: string[] = [];
  if (opts.volumes) {
    for (const svc of managed) {
      await runtime.removeData(svc);
      removed.push(svc.name);
    }
  }
  return { services: results, removed };
}
