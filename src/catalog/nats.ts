import { join } from 'node:path';
import * as z from 'zod/mini';
import { flag, port, text } from '../config/zod.js';
import { holdsSecret, type Kind, type NativeKind, secret } from './types.js';

const schema = z.strictObject({
  kind: z.optional(z.literal('nats')),
  image: z._default(text(), 'nats:2-alpine'),
  host: z._default(text(), '127.0.0.1'),
  port: z._default(port, 4222),
  /** The HTTP monitoring endpoint (/healthz, /varz). */
  monitor_port: z._default(port, 8222),
  user: z.optional(text()),
  password: z.optional(text()),
  /** A token instead of user and password. */
  token: z.optional(text()),
  /** Persistence for streams (JetStream), kept in the service's data. */
  jetstream: z._default(flag, false),
});

export type NatsService = z.output<typeof schema> & { kind: 'nats'; name: string };

export interface NatsSettings {
  user?: string;
  password?: string;
  /** A token instead of user and password. */
  token?: string;
  jetstream?: boolean;
}

/** A NATS configuration file; `value` quotes a setting (an ordinary string, or a secret's marker). */
function natsConfig(lines: { listen: string; http: string }, auth: NatsSettings, storeDir: string | undefined, value: (v: string) => string): string {
  const out = [`listen: ${value(lines.listen)}`, `http: ${value(lines.http)}`];
  if (auth.token) out.push(`authorization { token: ${value(auth.token)} }`);
  else if (auth.user) out.push(`authorization { user: ${value(auth.user)}, password: ${value(auth.password ?? '')} }`);
  if (storeDir) out.push(`jetstream { store_dir: ${value(storeDir)} }`);
  return `${out.join('\n')}\n`;
}

/**
 * nats-server from a configuration file (so credentials stay out of `ps`), with the
 * monitoring endpoint on its own port as in the official image (8222 there).
 */
export const natsLaunch: NativeKind<'nats' | 'monitor', NatsSettings> = {
  kind: 'nats',
  ports: ['nats', 'monitor'],
  account: 'nats',
  launch({ dir, host, ports, jetstream, ...auth }) {
    const conf = join(dir, 'nats.conf');
    const store = jetstream ? join(dir, 'jetstream') : undefined;
    return {
      program: { candidates: ['nats-server', '/usr/sbin/nats-server', '/opt/homebrew/bin/nats-server', '/usr/local/bin/nats-server'] },
      args: ['-c', conf],
      env: {},
      dirs: store ? [store] : [],
      files: [{ path: conf, content: natsConfig({ listen: `${host}:${ports.nats}`, http: `${host}:${ports.monitor}` }, auth, store, JSON.stringify) }],
      stopGraceMs: 5000,
    };
  },
};

/** A secret inside the quotes of a NATS configuration string: nothing in it may end the string. */
const QUOTE_SAFE = /^[^"\\\n]*$/;

/** NATS: the client port and monitoring; a configuration file (mounted, in a container) carries the login. */
export const nats: Kind<NatsService> = {
  name: 'nats',
  title: 'NATS',
  schema,
  problems(svc) {
    const out: { key: string; message: string }[] = [];
    if (svc.token && (svc.user || svc.password)) out.push({ key: 'token', message: 'expected either a token or a user and password, not both' });
    if (svc.password !== undefined && !svc.user) out.push({ key: 'password', message: 'a password needs a user (services.<name>.user)' });
    for (const key of ['password', 'token'] as const)
      if (svc[key] !== undefined && !QUOTE_SAFE.test(svc[key]))
        out.push({ key, message: "expected no double quote, backslash or newline (it goes into the server's configuration file)" });
    return out;
  },
  ports: (svc) => [
    { key: 'port', name: 'nats', port: svc.port, container: 4222 },
    { key: 'monitor_port', name: 'monitor', port: svc.monitor_port, container: 8222 },
  ],
  secrets: ['password', 'token'],
  url(svc, at) {
    const login = svc.token ? `${at.urlSecret('token')}@` : svc.user ? `${encodeURIComponent(svc.user)}:${at.urlSecret('password')}@` : '';
    return `nats://${login}${at.host}:${at.port('nats')}`;
  },
  exports: (svc, at) => ({ NATS_URL: nats.url(svc, at)! }),
  schemes: { 'nats:': 4222, 'tls:': 4222 },
  probe: (svc) => ({ protocol: 'nats', host: svc.host, port: svc.port, user: svc.user, password: svc.password, token: svc.token }),
  native: {
    launch: natsLaunch,
    ports: (svc) => ({ nats: svc.port, monitor: svc.monitor_port }),
    settings: (svc) => ({ user: svc.user, password: svc.password, token: svc.token, jetstream: svc.jetstream }),
    install: { system: { apt: ['nats-server'], dnf: ['nats-server'], brew: ['nats-server'] } },
    processNames: ['nats-server'],
  },
  container(svc) {
    const auth = { user: svc.user, password: svc.password === undefined ? undefined : secret('password'), token: svc.token && secret('token') };
    // A secret's marker stays whole inside the quotes; the renderer puts its reference there.
    const quoted = (v: string) => (holdsSecret(v) ? `"${v}"` : JSON.stringify(v));
    return {
      image: svc.image,
      env: {},
      // The program's name first: the official alpine image's entrypoint runs it, the scratch one's would not.
      command: ['nats-server', '--config', '/etc/nats/tm.conf'],
      files: [
        { path: '/etc/nats/tm.conf', content: natsConfig({ listen: '0.0.0.0:4222', http: '0.0.0.0:8222' }, auth, svc.jetstream ? '/data' : undefined, quoted) },
      ],
      volume: svc.jetstream ? '/data' : undefined,
      check: { http: '/healthz' },
      storage: svc.jetstream ? '1Gi' : undefined,
      resources: { cpu: '50m', memory: '64Mi' },
    };
  },
};
