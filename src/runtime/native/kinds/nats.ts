import { join } from 'node:path';
import type { NativeKind } from './types.js';

export interface NatsSettings {
  user?: string;
  password?: string;
  /** A token instead of user and password. */
  token?: string;
}

/**
 * nats-server from a configuration file (so credentials stay out of `ps`), with the
 * monitoring endpoint on its own port as in the official image (8222 there).
 */
export const nats: NativeKind<'nats' | 'monitor', NatsSettings> = {
  kind: 'nats',
  ports: ['nats', 'monitor'],
  account: 'nats',
  launch({ dir, host, ports, user, password, token }) {
    const conf = join(dir, 'nats.conf');
    const lines = [`listen: ${JSON.stringify(`${host}:${ports.nats}`)}`, `http: ${JSON.stringify(`${host}:${ports.monitor}`)}`];
    if (token) lines.push(`authorization { token: ${JSON.stringify(token)} }`);
    else if (user) lines.push(`authorization { user: ${JSON.stringify(user)}, password: ${JSON.stringify(password ?? '')} }`);
    return {
      program: { candidates: ['nats-server', '/usr/sbin/nats-server', '/opt/homebrew/bin/nats-server', '/usr/local/bin/nats-server'] },
      args: ['-c', conf],
      env: {},
      dirs: [],
      files: [{ path: conf, content: `${lines.join('\n')}\n` }],
      stopGraceMs: 5000,
    };
  },
};
