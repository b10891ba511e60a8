import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rabbitmqProbe, type AmqpTarget } from '../../src/health/amqp.js';
import { AuthFailure } from '../../src/health/auth-failure.js';
import { memcachedProbe } from '../../src/health/memcached.js';
import { mysqlProbe, type MysqlTarget } from '../../src/health/mysql.js';
import { natsProbe } from '../../src/health/nats.js';
import { isAuthFailure, tcpProbe } from '../../src/health/probes.js';
import { waitFor, type Probe } from '../../src/health/wait-for.js';
import { dockerUnavailable, runContainer, type Container } from '../helpers/container.js';
import { kindProbe } from '../helpers/kind-probe.js';

// The stand-in images of ../shared/tools/docker-engine.sh (`image rabbitmq mariadb memcached
// nats prometheus`, built by .ci/run), each imitating its official image's variables, run
// with `docker run` on free loopback ports and removed afterwards. They start together, so
// their boots overlap.

const IMAGES = {
  rabbitmq: 'standin/rabbitmq:3',
  mariadb: 'standin/mariadb:10',
  memcached: 'standin/memcached:1',
  nats: 'standin/nats:2',
  prometheus: 'standin/prometheus:2',
};
const unavailable = await dockerUnavailable(Object.values(IMAGES));
const READY_MS = 150_000;

const containers: Partial<Record<keyof typeof IMAGES, Container>> = {};
/** What the probes said right after `docker run` returned, before the servers listened. */
const early: Record<string, { tcp: unknown; protocol: unknown }> = {};

const amqp = (over: Partial<AmqpTarget> = {}): Probe =>
  rabbitmqProbe('rabbitmq', {
    host: '127.0.0.1',
    port: containers.rabbitmq!.port(5672),
    user: 'app',
    password: 'mq-pw',
    vhost: 'app_vh',
    managementPort: containers.rabbitmq!.port(15672),
    ...over,
  });
const mysql = (over: Partial<MysqlTarget> = {}): Probe =>
  mysqlProbe('mariadb', { host: '127.0.0.1', port: containers.mariadb!.port(3306), user: 'app', password: 'db-pw', database: 'app_db', ...over });

/** Waits for `probe`, with the container's log in the error when it never passes. */
async function ready(name: keyof typeof IMAGES, probe: Probe): Promise<number> {
  const t0 = performance.now();
  try {
    await waitFor(probe, { timeoutMs: READY_MS, attemptTimeoutMs: 1000 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${name} log:\n${await containers[name]!.logs()}`);
  }
  return Math.round(performance.now() - t0);
}

describe.skipIf(unavailable)('stand-in images on Docker', () => {
  beforeAll(async () => {
    const results = await Promise.allSettled([
      runContainer(IMAGES.rabbitmq, {
        env: { RABBITMQ_DEFAULT_USER: 'app', RABBITMQ_DEFAULT_PASS: 'mq-pw', RABBITMQ_DEFAULT_VHOST: 'app_vh' },
        ports: [5672, 15672],
      }).then((c) => (containers.rabbitmq = c)),
      runContainer(IMAGES.mariadb, {
        env: { MARIADB_ROOT_PASSWORD: 'root-pw', MARIADB_DATABASE: 'app_db', MARIADB_USER: 'app', MARIADB_PASSWORD: 'db-pw' },
        ports: [3306],
      }).then((c) => (containers.mariadb = c)),
      runContainer(IMAGES.memcached, { ports: [11211] }).then((c) => (containers.memcached = c)),
      runContainer(IMAGES.nats, { ports: [4222] }).then((c) => (containers.nats = c)),
      runContainer(IMAGES.prometheus, { ports: [9090] }).then((c) => (containers.prometheus = c)),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    // Both boot for seconds: their published ports already accept (Docker's port proxy), the protocol does not answer.
    for (const [name, probe, port] of [
      ['rabbitmq', amqp(), containers.rabbitmq!.port(5672)],
      ['mariadb', mysql(), containers.mariadb!.port(3306)],
    ] as const) {
      const settle = (p: Promise<void>) =>
        p.then(
          () => 'ready',
          (e: unknown) => e,
        );
      early[name] = { tcp: await settle(tcpProbe(name, '127.0.0.1', port).check(1000)), protocol: await settle(probe.check(1000)) };
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all(Object.values(containers).map((c) => c.remove()));
  });

  describe('rabbitmq', () => {
    beforeAll(async () => console.info(`standin/rabbitmq:3 ready after ${await ready('rabbitmq', amqp())} ms more`), READY_MS + 10_000);

    it('is not ready while it boots, although its published port accepts TCP', () => {
      expect(early.rabbitmq!.tcp).toBe('ready');
      expect(early.rabbitmq!.protocol).toBeInstanceOf(Error);
    });

    it('is ready with the image contract credentials, management UI included', async () => {
      await expect(amqp().check(2000)).resolves.toBeUndefined();
    });

    it('a wrong password is an auth failure', async () => {
      const err = await amqp({ password: 'wrong-pw' })
        .check(2000)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthFailure);
      expect((err as Error).message).toMatch(/403 ACCESS_REFUSED/);
    });
  });

  describe('mariadb', () => {
    beforeAll(async () => console.info(`standin/mariadb:10 ready after ${await ready('mariadb', mysql())} ms more`), READY_MS + 10_000);

    it('is not ready while it initializes, although its published port accepts TCP', () => {
      expect(early.mariadb!.tcp).toBe('ready');
      expect(early.mariadb!.protocol).toBeInstanceOf(Error);
      expect(isAuthFailure(early.mariadb!.protocol)).toBe(false);
    });

    it('is ready as MARIADB_USER on MARIADB_DATABASE', async () => {
      await expect(mysql().check(2000)).resolves.toBeUndefined();
    });

    it('a wrong password is an auth failure, naming the user', async () => {
      const err = await mysql({ password: 'wrong-pw' })
        .check(2000)
        .catch((e: unknown) => e);
      expect(isAuthFailure(err)).toBe(true);
      expect((err as Error).message).toMatch(/Access denied for user 'app'@/);
    });
  });

  describe('memcached, nats, prometheus', () => {
    it(
      'each is ready on its protocol',
      async () => {
        await expect(ready('memcached', memcachedProbe('memcached', { host: '127.0.0.1', port: containers.memcached!.port(11211) }))).resolves.toBeTypeOf(
          'number',
        );
        await expect(ready('nats', natsProbe('nats', { host: '127.0.0.1', port: containers.nats!.port(4222) }))).resolves.toBeTypeOf('number');
        await expect(ready('prometheus', kindProbe('prometheus', { port: containers.prometheus!.port(9090) }))).resolves.toBeTypeOf('number');
      },
      READY_MS * 3,
    );
  });
});
