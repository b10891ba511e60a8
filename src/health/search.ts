import { AuthFailure } from './auth-failure.js';
import { fetchError, fetchWithin } from './probes.js';
import type { Probe } from './wait-for.js';

export interface SearchTarget {
  host: string;
  port: number;
  /** Basic auth, when the security plugin is on (`elastic`, `admin`). */
  user?: string;
  password?: string;
}

type Status = 'green' | 'yellow' | 'red';

/**
 * Elasticsearch / OpenSearch is ready when `_cluster/health` reports yellow or green: every
 * primary shard is assigned (a single node never gets green once an index has replicas).
 * Before a master is elected the endpoint answers 503; red means data is not reachable.
 */
export function clusterHealthProbe(name: string, t: SearchTarget): Probe {
  const url = `http://${t.host}:${t.port}/_cluster/health`;
  const headers: Record<string, string> = t.user ? { authorization: `Basic ${Buffer.from(`${t.user}:${t.password ?? ''}`).toString('base64')}` } : {};
  return {
    name,
    target: `http://${t.user ? `${t.user}@` : ''}${t.host}:${t.port}/_cluster/health`,
    check: (timeoutMs) =>
      fetchWithin(url, timeoutMs, headers, async (res) => {
        const body = await res.text().catch((err: unknown) => {
          throw fetchError(err, url);
        });
        if (res.status === 401 || res.status === 403) throw new AuthFailure(`HTTP ${res.status} from ${url}: the user or password is refused`);
        if (res.status !== 200) throw new Error(`HTTP ${res.status} from ${url}${reason(body)}`);
        const status = (JSON.parse(body) as { status?: Status }).status;
        if (status !== 'green' && status !== 'yellow') throw new Error(`cluster health is ${status ?? 'unknown'} (at least yellow is ready)`);
      }),
  };
}

/** The error type Elasticsearch puts in a failed answer (`master_not_discovered_exception`). */
function reason(body: string): string {
  try {
    const type = (JSON.parse(body) as { error?: { type?: string } }).error?.type;
    return type ? ` (${type})` : '';
  } catch {
    return '';
  }
}
