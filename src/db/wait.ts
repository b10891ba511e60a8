import { waitFor, type WaitResult } from '../health/wait-for.js';
import type { DatabaseTarget } from './connect.js';

/** Waits until the server accepts connections; a database that does not exist yet counts. */
export async function waitForDatabase(target: DatabaseTarget, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
  const { default: pg } = await import('pg');
  return waitFor(
    {
      name: 'database',
      target: target.source,
      async check(attemptMs) {
        const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: Math.max(1, Math.ceil(attemptMs)), application_name: 'tm db wait' });
        client.on('error', () => {});
        try {
          await client.connect();
        } catch (err) {
          if ((err as { code?: string }).code !== '3D000') throw err; // invalid_catalog_name: server is up
        } finally {
          await client.end().catch(() => undefined);
        }
      },
    },
    { timeoutMs, signal },
  );
}
