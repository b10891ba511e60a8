import type { Service } from '../config/schema.js';
import { serviceUrl } from '../config/services.js';
import { errorText } from '../errors.js';
import { probeOnce } from '../health/check.js';
import { loadProbeLibraries, probeFor } from '../health/probe-for.js';
import type { Runtime, ServiceState } from '../runtime/types.js';

export interface StatusRow extends ServiceState {
  health: 'ok' | 'error' | 'unknown';
  health_error?: string;
  latency_ms?: number;
  uptime_s?: number;
  url?: string;
}

/** State from the real processes, plus one probe per running service. */
export async function status(runtime: Runtime, services: Service[], now = Date.now()): Promise<StatusRow[]> {
  const [states] = await Promise.all([runtime.status(services), loadProbeLibraries(services)]);
  return Promise.all(
    states.map(async (st, i): Promise<StatusRow> => {
      const svc = services[i]!;
      const row: StatusRow = { ...st, url: serviceUrl(svc), health: 'unknown' };
      if (st.startedAt && st.state === 'running') row.uptime_s = Math.max(0, Math.round((now - Date.parse(st.startedAt)) / 1000));
      const probe = probeFor(svc);
      if (!probe || st.state === 'stopped') return row;
      const r = await probeOnce(probe);
      row.health = r.ok ? 'ok' : 'error';
      if (!r.ok) row.health_error = errorText(r.error);
      row.latency_ms = r.latency_ms;
      return row;
    }),
  );
}
