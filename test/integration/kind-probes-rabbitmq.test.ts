import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rabbitmqProbe, type AmqpTarget } from '../../src/health/amqp.js';
import { AuthFailure } from '../../src/health/auth-failure.js';
import { isAuthFailure } from '../../src/health/probes.js';
import { rabbitmqLaunch as rabbitmq } from '../../src/catalog/rabbitmq.js';
import { startNative, type NativeServer } from '../helpers/native-server.js';
import { freePort } from '../helpers/project.js';

// A real RabbitMQ from Debian's rabbitmq-server (.ci/run installs it), started from the
// rabbitmq kind's launch on free ports in a temporary directory, as the rabbitmq account when
// the tests run as root. It boots in 5-15 s here (more under load), hence a file of its own,
// which runs beside the others.

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe: Server = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('rabbitmq (rabbitmq-server)', () => {
  // A quote, a backslash and a non-ASCII letter: the launch's advanced.config must carry them.
  const password = 'pä"ss\\word';
  let server: NativeServer<'amqp' | 'management' | 'dist' | 'epmd'>;
  const probe = (over: Partial<AmqpTarget> = {}) =>
    rabbitmqProbe('rabbitmq', {
      host: '127.0.0.1',
      port: server.ports.amqp,
      user: 'app',
      password,
      vhost: 'app_vh',
      managementPort: server.ports.management,
      ...over,
    });

  beforeAll(async () => {
    server = await startNative(rabbitmq, { user: 'app', password, vhost: 'app_vh' });
    await server.ready(probe(), 120_000);
    console.info(`rabbitmq native start to ready: ${server.startMs} ms`);
  });
  afterAll(async () => {
    if (!server) return;
    const t0 = performance.now();
    await server.stop();
    console.info(`rabbitmq native stop: ${Math.round(performance.now() - t0)} ms`);
    // Nothing it started is left: its ports, its own epmd's included, are free again.
    for (const port of Object.values(server.ports)) expect(await bindable(port), `port ${port}`).toBe(true);
  });

  it('is ready: login and Connection.Open on the vhost, and the management UI answers', async () => {
    expect(probe().target).toBe(`amqp://app@127.0.0.1:${server.ports.amqp}/app_vh`);
    await expect(probe().check(2000)).resolves.toBeUndefined();
  });

  it('a wrong password is an auth failure with the broker reason, and no password is shown', async () => {
    const err = await probe({ password: 'wrong-pw' })
      .check(2000)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthFailure);
    expect((err as Error).message).toMatch(/403 ACCESS_REFUSED/);
    expect((err as Error).message).not.toContain('wrong-pw');
  });

  it('a vhost that does not exist is an auth failure', async () => {
    const err = await probe({ vhost: 'nope' })
      .check(2000)
      .catch((e: unknown) => e);
    expect(isAuthFailure(err)).toBe(true);
    expect((err as Error).message).toMatch(/530 NOT_ALLOWED.*nope/);
  });

  it('is not ready where nothing listens, or when the management UI does not answer', async () => {
    await expect(probe({ port: await freePort() }).check(2000)).rejects.toThrow(/ECONNREFUSED/);
    await expect(probe({ managementPort: await freePort() }).check(2000)).rejects.toThrow(/ECONNREFUSED/);
  });
});
