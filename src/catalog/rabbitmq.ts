import { join } from 'node:path';
import * as z from 'zod/mini';
import { port, text } from '../config/zod.js';
import { type Kind, type NativeKind, secret } from './types.js';

const schema = z.strictObject({
  kind: z.optional(z.literal('rabbitmq')),
  image: z._default(text(), 'rabbitmq:3-management'),
  host: z._default(text(), '127.0.0.1'),
  /** AMQP. */
  port: z._default(port, 5672),
  /** The management plugin's web UI and HTTP API. */
  management_port: z._default(port, 15672),
  /** Local binaries only: the Erlang node's distribution port (default: port + 20000, RabbitMQ's rule). */
  dist_port: z.optional(port),
  /** Local binaries only: the node's own port mapper (epmd), so it serves this node alone (default: dist_port + 1). */
  epmd_port: z.optional(port),
  user: z._default(text(), 'guest'),
  password: z._default(text(), 'guest'),
  vhost: z._default(text(), '/'),
});

export type RabbitmqService = z.output<typeof schema> & { kind: 'rabbitmq'; name: string; dist_port: number; epmd_port: number };

export interface RabbitmqSettings {
  user: string;
  password: string;
  vhost: string;
}

/**
 * RabbitMQ from its own start script (Debian's /usr/sbin wrapper would switch to the system
 * node's directories and logs). Everything the node reads or writes is pointed into `dir`;
 * its Erlang port mapper (epmd) gets a port of its own, so it serves this node alone and is
 * ended after it. The user, password and vhost are created on the first boot only (an empty
 * database), as with the official image.
 */
export const rabbitmqLaunch: NativeKind<'amqp' | 'management' | 'dist' | 'epmd', RabbitmqSettings> = {
  kind: 'rabbitmq',
  ports: ['amqp', 'management', 'dist', 'epmd'],
  account: 'rabbitmq',
  launch({ dir, host, ports, user, password, vhost }) {
    const at = (name: string) => join(dir, name);
    return {
      program: { candidates: ['/usr/lib/rabbitmq/bin/rabbitmq-server', 'rabbitmq-server'] },
      args: [],
      env: {
        ERL_EPMD_PORT: String(ports.epmd),
        ERL_EPMD_ADDRESS: '127.0.0.1',
        HOME: dir, // the Erlang cookie is written here
        RABBITMQ_NODENAME: 'rabbit@localhost',
        RABBITMQ_DIST_PORT: String(ports.dist),
        // Node-to-node traffic (the CLI tools) stays on loopback whatever `host` is.
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
        RABBITMQ_CONF_ENV_FILE: at('rabbitmq-env.conf'), // not written: keeps /etc/rabbitmq's out
        RABBITMQ_CONFIG_FILE: at('rabbitmq.conf'),
        RABBITMQ_ADVANCED_CONFIG_FILE: at('advanced.config'),
        RABBITMQ_ENABLED_PLUGINS_FILE: at('enabled_plugins'),
        RABBITMQ_MNESIA_BASE: at('mnesia'),
        RABBITMQ_LOG_BASE: at('log'),
        RABBITMQ_LOGS: '-',
        RABBITMQ_PID_FILE: at('rabbitmq.pid'),
      },
      dirs: [at('mnesia'), at('log')],
      files: [
        {
          path: at('rabbitmq.conf'),
          content: [
            `listeners.tcp.1 = ${host}:${ports.amqp}`,
            `management.tcp.ip = ${host}`,
            `management.tcp.port = ${ports.management}`,
            'loopback_users = none',
            '',
          ].join('\n'),
        },
        // Credentials as Erlang binaries: any character survives, which rabbitmq.conf lines do not promise.
        {
          path: at('advanced.config'),
          content: `[{rabbit, [{default_user, ${erlangBinary(user)}}, {default_pass, ${erlangBinary(password)}}, {default_vhost, ${erlangBinary(vhost)}}]}].\n`,
        },
        { path: at('enabled_plugins'), content: '[rabbitmq_management].\n' },
      ],
      afterStop: [{ program: { candidates: ['epmd'] }, args: ['-port', String(ports.epmd), '-kill'] }],
      // A clean stop flushes its message store; under load it takes several seconds.
      stopGraceMs: 30_000,
    };
  },
};

/** `<<"text">>` for printable ASCII, else the UTF-8 bytes (`<<104,195,169>>`). */
export function erlangBinary(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return `<<"${text.replace(/[\\"]/g, '\\$&')}">>`;
  return `<<${[...Buffer.from(text, 'utf8')].join(',')}>>`;
}

/** A port `offset` away from `base`, in range: above it when there is room, else below. */
function beside(base: number, offset: number): number {
  return base + offset <= 65535 ? base + offset : base - offset;
}

/** RabbitMQ: AMQP and the management UI; the official image's RABBITMQ_DEFAULT_USER / _PASS / _VHOST. */
export const rabbitmq: Kind<RabbitmqService> = {
  name: 'rabbitmq',
  title: 'RabbitMQ',
  schema,
  complete(svc) {
    svc.dist_port ??= beside(svc.port, 20000);
    svc.epmd_port ??= beside(svc.dist_port, 1);
  },
  ports: (svc) => [
    { key: 'port', name: 'amqp', port: svc.port, container: 5672 },
    { key: 'management_port', name: 'management', port: svc.management_port, container: 15672 },
    { key: 'dist_port', name: 'dist', port: svc.dist_port, container: 25672, nativeOnly: true },
    { key: 'epmd_port', name: 'epmd', port: svc.epmd_port, container: 4369, nativeOnly: true },
  ],
  secrets: ['password'],
  url: (svc, at) => `amqp://${encodeURIComponent(svc.user)}:${at.urlSecret('password')}@${at.host}:${at.port('amqp')}/${encodeURIComponent(svc.vhost)}`,
  exports: (svc, at) => ({ AMQP_URL: rabbitmq.url(svc, at)! }),
  schemes: { 'amqp:': 5672, 'amqps:': 5671 },
  probe: (svc) => ({
    protocol: 'amqp',
    host: svc.host,
    port: svc.port,
    user: svc.user,
    password: svc.password,
    vhost: svc.vhost,
    managementPort: svc.management_port,
  }),
  native: {
    launch: rabbitmqLaunch,
    ports: (svc) => ({ amqp: svc.port, management: svc.management_port, dist: svc.dist_port, epmd: svc.epmd_port }),
    settings: (svc) => ({ user: svc.user, password: svc.password, vhost: svc.vhost }),
    install: { system: { apt: ['rabbitmq-server'], dnf: ['rabbitmq-server'], brew: ['rabbitmq'] } },
    processNames: ['rabbitmq-server'],
  },
  container: (svc) => ({
    image: svc.image,
    env: { RABBITMQ_DEFAULT_USER: svc.user, RABBITMQ_DEFAULT_PASS: secret('password'), RABBITMQ_DEFAULT_VHOST: svc.vhost },
    // The node keeps its data under its name, which follows the host name.
    hostname: svc.name,
    volume: '/var/lib/rabbitmq',
    // Each check boots an Erlang VM: not every second.
    check: ['rabbitmq-diagnostics', '-q', 'check_port_connectivity'],
    checkEvery: 5,
    storage: '1Gi',
    resources: { cpu: '100m', memory: '256Mi' },
  }),
  web: (svc) => `http://localhost:${svc.management_port}/`,
};
