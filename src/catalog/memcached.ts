import * as z from 'zod/mini';
import { count, port, text } from '../config/zod.js';
import type { Kind, NativeKind } from './types.js';

const schema = z.strictObject({
  kind: z.optional(z.literal('memcached')),
  image: z._default(text(), 'memcached:1-alpine'),
  host: z._default(text(), '127.0.0.1'),
  port: z._default(port, 11211),
  /** Memory for items, in megabytes (memcached's default: 64). */
  memory: z._default(count(1, 'a number of megabytes'), 64),
});

export type MemcachedService = z.output<typeof schema> & { kind: 'memcached'; name: string };

export interface MemcachedSettings {
  /** Memory for items, in megabytes (memcached's default: 64). */
  memoryMb?: number;
}

/** memcached keeps nothing on disk: a port, an address and its memory. UDP stays off. */
export const memcachedLaunch: NativeKind<'memcached', MemcachedSettings> = {
  kind: 'memcached',
  ports: ['memcached'],
  account: 'memcache',
  launch({ host, ports, memoryMb }) {
    return {
      program: { candidates: ['memcached', '/usr/bin/memcached', '/opt/homebrew/bin/memcached', '/usr/local/bin/memcached'] },
      args: ['-l', host, '-p', String(ports.memcached), '-U', '0', '-m', String(memoryMb ?? 64)],
      env: {},
      dirs: [],
      files: [],
      stopGraceMs: 5000,
    };
  },
};

/** memcached: a cache in memory, no data to keep and no login. */
export const memcached: Kind<MemcachedService> = {
  name: 'memcached',
  title: 'memcached',
  schema,
  ports: (svc) => [{ key: 'port', name: 'memcached', port: svc.port, container: 11211 }],
  secrets: [],
  url: (_svc, at) => `memcached://${at.host}:${at.port('memcached')}`,
  exports: (svc, at) => ({ MEMCACHED_URL: memcached.url(svc, at)! }),
  schemes: { 'memcached:': 11211 },
  probe: (svc) => ({ protocol: 'memcached', host: svc.host, port: svc.port }),
  native: {
    launch: memcachedLaunch,
    ports: (svc) => ({ memcached: svc.port }),
    settings: (svc) => ({ memoryMb: svc.memory }),
    install: { system: { apt: ['memcached'], dnf: ['memcached'], brew: ['memcached'] } },
    processNames: ['memcached'],
  },
  // The images have no client to check with: Kubernetes checks that the port accepts.
  container: (svc) => ({
    image: svc.image,
    env: {},
    command: ['memcached', '-m', String(svc.memory)],
    resources: { cpu: '50m', memory: `${svc.memory + 16}Mi` },
  }),
};
