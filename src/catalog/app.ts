import * as z from 'zod/mini';
import { command, duration, identifier, port, text } from '../config/zod.js';
import type { Kind } from './types.js';

const schema = z.strictObject({
  kind: z.optional(z.literal('app')),
  command: z.optional(command),
  cwd: z.optional(text()),
  image: z.optional(text()),
  build: z.optional(text()),
  host: z._default(text(), '127.0.0.1'),
  port: z.optional(port),
  health: z.optional(text('a URL such as http://localhost:3000/health')),
  /** The path where it serves Prometheus metrics (a `prometheus` service scrapes it). */
  metrics: z.optional(
    text('a path such as /metrics').check(z.refine((v: string) => v.startsWith('/'), { error: 'expected a path such as /metrics (starting with /)' })),
  ),
  depends_on: z._default(z.array(identifier), []),
  env: z._default(z.record(z.string(), text()), {}),
  /** How long `tm down` waits after SIGTERM before SIGKILL (both runtimes). */
  stop_grace_period: z.optional(duration),
});

export type AppService = z.output<typeof schema> & {
  kind: 'app';
  name: string;
  /** `env:` as written, before `${VAR}` expansion: compose expands the same syntax from .env. */
  envSource?: Record<string, string>;
};

/**
 * The project's own code: a command (native) or an image or build (Docker), ready when its
 * health URL answers 2xx, else when its port accepts. Rendered by render/ from the env
 * contract, which it gets whole.
 */
export const app: Kind<AppService> = {
  name: 'app',
  title: 'app',
  schema,
  ports: (svc) => (svc.port === undefined ? [] : [{ key: 'port', name: 'http', port: svc.port, container: svc.port }]),
  secrets: [],
  url: (svc, at) => (svc.port === undefined ? undefined : `http://${at.host === '127.0.0.1' ? 'localhost' : at.host}:${at.port('http')}`),
  exports: () => ({}),
  probe(svc) {
    if (svc.health) return { protocol: 'http', url: svc.health };
    if (svc.port !== undefined) return { protocol: 'tcp', host: svc.host, port: svc.port };
    return undefined;
  },
  native: { driver: 'app' },
  web: (svc) => (svc.port === undefined ? undefined : `http://localhost:${svc.port}`),
};
