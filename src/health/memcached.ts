import { converse, quote, type Endpoint } from './conversation.js';
import type { Probe } from './wait-for.js';

/** memcached is ready when it answers the text protocol's `version` command. */
export function memcachedProbe(name: string, t: Endpoint): Probe {
  return {
    name,
    target: `memcached://${t.host}:${t.port}`,
    check(timeoutMs) {
      return converse(t, 'memcached', timeoutMs, async (c) => {
        c.write('version\r\n');
        const line = await c.readLine();
        if (!line.startsWith('VERSION ')) throw new Error(`memcached answered ${quote(line)} to version`);
        c.write('quit\r\n');
      });
    },
  };
}
