import * as z from 'zod/mini';
import { isLoopbackAddress, listenAddress } from '../config/listen.js';
import { describe, port, text } from '../config/zod.js';
import { type Kind, secret } from './types.js';

const schema = z.strictObject({
  kind: z.optional(z.literal('redis')),
  image: z._default(text(), 'redis:7-alpine'),
  host: z._default(text(), '127.0.0.1'),
  port: z._default(port, 6379),
  persistence: z._default(z.enum(['aof', 'rdb', 'none'], { error: (iss) => `expected one of aof, rdb, none, got ${describe(iss.input)}` }), 'aof'),
  password: z.optional(text()),
});

export type RedisService = z.output<typeof schema> & { kind: 'redis'; name: string };

/** redis-server's flags for each persistence mode: `aof` survives restarts, `rdb` snapshots, `none` keeps nothing. */
export function persistenceArgs(persistence: RedisService['persistence']): string[] {
  if (persistence === 'aof') return ['--appendonly', 'yes', '--save', ''];
  if (persistence === 'rdb') return ['--appendonly', 'no', '--save', '60 1'];
  return ['--appendonly', 'no', '--save', ''];
}

/** Redis: natively the runtime's own driver; in a container, flags for persistence and the password. */
export const redis: Kind<RedisService> = {
  name: 'redis',
  title: 'Redis',
  schema,
  // A Redis without a password answers anyone who reaches it: only on loopback.
  problems: (svc) =>
    !svc.password && !isLoopbackAddress(listenAddress(svc.host))
      ? [
          {
            key: 'host',
            message: `a Redis without a password would listen on ${svc.host}, which other machines can reach: set services.${svc.name}.password (e.g. "\${REDIS_PASSWORD}"), or host: 127.0.0.1`,
          },
        ]
      : [],
  ports: (svc) => [{ key: 'port', name: 'redis', port: svc.port, container: 6379 }],
  secrets: ['password'],
  url: (svc, at) => `redis://${svc.password ? `:${at.urlSecret('password')}@` : ''}${at.host}:${at.port('redis')}`,
  exports: (svc, at) => ({ REDIS_URL: redis.url(svc, at)! }),
  schemes: { 'redis:': 6379, 'rediss:': 6379 },
  probe: (svc) => ({ protocol: 'redis', host: svc.host, port: svc.port, password: svc.password }),
  native: { driver: 'redis' },
  container: (svc) => ({
    image: svc.image,
    command: [
      'redis-server',
      '--protected-mode',
      'no',
      '--dir',
      '/data',
      ...persistenceArgs(svc.persistence),
      ...(svc.password ? ['--requirepass', secret('password')] : []),
    ],
    // redis-cli reads the password from REDISCLI_AUTH, so the check needs no argument; it exits 0
    // on an error reply (NOAUTH, LOADING): ready means it answered PONG.
    env: svc.password ? { REDISCLI_AUTH: secret('password') } : ({} as Record<string, string>),
    volume: '/data',
    check: ['sh', '-c', 'redis-cli ping | grep -q PONG'],
    // Alive while it answers at all: a Redis loading its dataset is not to be restarted.
    live: ['redis-cli', 'ping'],
    storage: '1Gi',
    resources: { cpu: '50m', memory: '64Mi' },
  }),
  client: (svc, at) => ({
    program: 'redis-cli',
    args: ['-h', at.host, '-p', String(at.port)],
    env: svc.password ? { REDISCLI_AUTH: svc.password } : ({} as Record<string, string>),
  }),
};
