import type { NativeKind } from './types.js';

export interface MemcachedSettings {
  /** Memory for items, in megabytes (memcached's default: 64). */
  memoryMb?: number;
}

/** memcached keeps nothing on disk: a port, an address and its memory. UDP stays off. */
export const memcached: NativeKind<'memcached', MemcachedSettings> = {
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
