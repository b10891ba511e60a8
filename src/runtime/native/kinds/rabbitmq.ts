import { join } from 'node:path';
import type { NativeKind } from './types.js';

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
export const rabbitmq: NativeKind<'amqp' | 'management' | 'dist' | 'epmd', RabbitmqSettings> = {
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
