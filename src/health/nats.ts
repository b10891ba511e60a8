import { AuthFailure } from './auth-failure.js';
import { converse, quote, type Endpoint } from './conversation.js';
import type { Probe } from './wait-for.js';

export interface NatsTarget extends Endpoint {
  user?: string;
  password?: string;
  /** A token instead of user and password. */
  token?: string;
}

/**
 * NATS is ready when it greets with INFO and answers PING with PONG. CONNECT goes first, as
 * every client sends it: a server that requires a login refuses the PING without one.
 */
export function natsProbe(name: string, t: NatsTarget): Probe {
  return {
    name,
    target: `nats://${t.user ? `${t.user}@` : ''}${t.host}:${t.port}`,
    check(timeoutMs) {
      return converse(t, 'the NATS server', timeoutMs, async (c) => {
        const greeting = await c.readLine();
        if (!greeting.startsWith('INFO ')) throw new Error(`not a NATS server (it sent ${quote(greeting)})`);
        const info = JSON.parse(greeting.slice(5)) as { tls_required?: boolean };
        if (info.tls_required) throw new Error('the NATS server requires TLS, which this probe does not speak');
        const connect = {
          verbose: false,
          pedantic: false,
          name: 'tm-health',
          lang: 'node',
          protocol: 1,
          echo: false,
          user: t.user,
          pass: t.password,
          auth_token: t.token,
        };
        c.write(`CONNECT ${JSON.stringify(connect)}\r\nPING\r\n`);
        for (;;) {
          const line = await c.readLine();
          if (line === 'PONG') return;
          if (line === 'PING') c.write('PONG\r\n');
          else if (line.startsWith('-ERR')) {
            const message = `the NATS server refused: ${line.slice(4).trim().replace(/^'|'$/g, '')}`;
            throw /authorization violation|authentication/i.test(line) && !/timeout/i.test(line) ? new AuthFailure(message) : new Error(message);
          } else if (!line.startsWith('+OK') && !line.startsWith('INFO ')) throw new Error(`unexpected answer from the NATS server: ${quote(line)}`);
        }
      });
    },
  };
}
