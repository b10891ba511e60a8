import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthFailure } from '../../src/health/auth-failure.js';
import { mailCatcherProbe } from '../../src/health/mail.js';
import { memcachedProbe } from '../../src/health/memcached.js';
import { mysqlProbe } from '../../src/health/mysql.js';
import { natsProbe } from '../../src/health/nats.js';
import { isAuthFailure } from '../../src/health/probes.js';
import { MAILDEV_HEALTH_PATH, maildevLaunch as maildev } from '../../src/catalog/mailpit.js';
import { mariadbLaunch as mariadb } from '../../src/catalog/mariadb.js';
import { memcachedLaunch as memcached } from '../../src/catalog/memcached.js';
import { natsLaunch as nats } from '../../src/catalog/nats.js';
import { prometheusLaunch as prometheus } from '../../src/catalog/prometheus.js';
import { startNative, type NativeServer } from '../helpers/native-server.js';
import { freePort } from '../helpers/project.js';
import { kindProbe } from '../helpers/kind-probe.js';

// The real servers from Debian's packages (mariadb-server, memcached, nats-server,
// prometheus; .ci/run installs them) and npm's maildev, each started from its kind's launch
// in src/catalog on free ports in a temporary directory, as its own system
// account when the tests run as root. RabbitMQ has a file of its own (it boots slowly).

const READY_MS = 60_000;
const started: NativeServer<string>[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  console.info(`native start to ready: ${started.map((s) => `${s.dir.replace(/.*tm-(\w+)-.*/, '$1')} ${s.startMs} ms`).join(', ')}`);
});

async function start<P extends string, S extends object>(...args: Parameters<typeof startNative<P, S>>): Promise<NativeServer<P>> {
  const server = await startNative(...args);
  started.push(server);
  return server;
}

describe('mariadb (mariadb-server)', () => {
  // Quotes and backslashes: the launch's init file must escape them.
  const password = `pw'with"odd\\chars é`;
  let server: NativeServer<'mysql'>;
  const probe = (over: Partial<Parameters<typeof mysqlProbe>[1]> = {}) =>
    mysqlProbe('mariadb', { host: '127.0.0.1', port: server.ports.mysql, user: 'app', password, database: 'app_db', ...over });
  beforeAll(async () => {
    server = await start(mariadb, { user: 'app', password, database: 'app_db' });
    await server.ready(probe(), READY_MS);
  });

  it('is ready: the user logs in to its database and SELECT 1 answers', async () => {
    await expect(probe().check(2000)).resolves.toBeUndefined();
    expect(probe().target).toBe(`mysql://app@127.0.0.1:${server.ports.mysql}/app_db`);
  });

  it('a wrong password is an auth failure with the server reason, and no password is shown', async () => {
    const err = await probe({ password: 'wrong-pw' })
      .check(2000)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthFailure);
    expect(isAuthFailure(err)).toBe(true);
    expect((err as Error).message).toMatch(/Access denied for user 'app'@'127.0.0.1' \(using password: YES\)/);
    expect((err as Error).message).not.toContain('wrong-pw');
  });

  it('a database the user may not use is an auth failure', async () => {
    const err = await probe({ database: 'mysql' })
      .check(2000)
      .catch((e: unknown) => e);
    expect(isAuthFailure(err)).toBe(true);
    expect((err as Error).message).toMatch(/Access denied for user 'app'@'%' to database 'mysql'/);
  });

  it('is not ready where nothing listens, and that is no auth failure', async () => {
    const err = await probe({ port: await freePort() })
      .check(2000)
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect(isAuthFailure(err)).toBe(false);
  });

  it('is not ready once the server is stopped', async () => {
    const other = await start(mariadb, { user: 'app', password: 'pw', database: 'app_db' });
    const p = mysqlProbe('mariadb', { host: '127.0.0.1', port: other.ports.mysql, user: 'app', password: 'pw', database: 'app_db' });
    await other.ready(p, READY_MS);
    await other.stop();
    await expect(p.check(2000)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('memcached', () => {
  let server: NativeServer<'memcached'>;
  beforeAll(async () => {
    server = await start(memcached, {});
    await server.ready(memcachedProbe('memcached', { host: '127.0.0.1', port: server.ports.memcached }), READY_MS);
  });

  it('is ready: version answered', async () => {
    const probe = memcachedProbe('memcached', { host: '127.0.0.1', port: server.ports.memcached });
    expect(probe.target).toBe(`memcached://127.0.0.1:${server.ports.memcached}`);
    await expect(probe.check(2000)).resolves.toBeUndefined();
  });

  it('is not ready where nothing listens', async () => {
    await expect(memcachedProbe('memcached', { host: '127.0.0.1', port: await freePort() }).check(2000)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('nats (nats-server)', () => {
  let server: NativeServer<'nats' | 'monitor'>;
  const probe = (over: Partial<Parameters<typeof natsProbe>[1]> = {}) =>
    natsProbe('nats', { host: '127.0.0.1', port: server.ports.nats, user: 'app', password: 'nats-pw', ...over });
  beforeAll(async () => {
    server = await start(nats, { user: 'app', password: 'nats-pw' });
    await server.ready(probe(), READY_MS);
  });

  it('is ready: INFO, then PING answered by PONG after CONNECT with the user', async () => {
    expect(probe().target).toBe(`nats://app@127.0.0.1:${server.ports.nats}`);
    await expect(probe().check(2000)).resolves.toBeUndefined();
  });

  it('a wrong password, or none, is an auth failure', async () => {
    for (const p of [probe({ password: 'wrong-pw' }), probe({ user: undefined, password: undefined })]) {
      const err = await p.check(2000).catch((e: unknown) => e);
      expect(isAuthFailure(err)).toBe(true);
      expect((err as Error).message).toMatch(/Authorization Violation/);
      expect((err as Error).message).not.toContain('wrong-pw');
    }
  });

  it('with a token', async () => {
    const tokenServer = await start(nats, { token: 'tok-123' });
    const p = (token?: string) => natsProbe('nats', { host: '127.0.0.1', port: tokenServer.ports.nats, token });
    await tokenServer.ready(p('tok-123'), READY_MS);
    expect(p('tok-123').target).toBe(`nats://127.0.0.1:${tokenServer.ports.nats}`);
    expect(
      isAuthFailure(
        await p('nope')
          .check(2000)
          .catch((e: unknown) => e),
      ),
    ).toBe(true);
  });

  it('is not ready where nothing listens', async () => {
    await expect(probe({ port: await freePort() }).check(2000)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('prometheus', () => {
  let server: NativeServer<'web'>;
  beforeAll(async () => {
    server = await start(prometheus, {});
    await server.ready(kindProbe('prometheus', { port: server.ports.web }), READY_MS);
  });

  it('is ready: /-/ready answers 200', async () => {
    const probe = kindProbe('prometheus', { port: server.ports.web });
    expect(probe.target).toBe(`http://127.0.0.1:${server.ports.web}/-/ready`);
    await expect(probe.check(2000)).resolves.toBeUndefined();
  });

  it('runs with the configuration the launch wrote (it scrapes itself)', async () => {
    const res = await fetch(`http://127.0.0.1:${server.ports.web}/api/v1/status/config`);
    const yaml = ((await res.json()) as { data: { yaml: string } }).data.yaml;
    expect(yaml).toContain('job_name: prometheus');
    expect(yaml).toContain(`- 127.0.0.1:${server.ports.web}`);
  });

  it('is not ready where nothing listens', async () => {
    await expect(kindProbe('prometheus', { port: await freePort() }).check(2000)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('mail catcher (npm maildev)', () => {
  let server: NativeServer<'smtp' | 'web'>;
  const probe = (over: Partial<Parameters<typeof mailCatcherProbe>[1]> = {}) =>
    mailCatcherProbe('mail', { host: '127.0.0.1', smtpPort: server.ports.smtp, webUrl: `http://127.0.0.1:${server.ports.web}${MAILDEV_HEALTH_PATH}`, ...over });
  beforeAll(async () => {
    server = await start(maildev, {});
    await server.ready(probe(), READY_MS);
  });

  it('is ready: SMTP greets with 220 and the web UI answers', async () => {
    expect(probe().target).toBe(`smtp://127.0.0.1:${server.ports.smtp}`);
    await expect(probe().check(2000)).resolves.toBeUndefined();
  });

  it('is not ready when either half does not answer', async () => {
    await expect(probe({ smtpPort: await freePort() }).check(2000)).rejects.toThrow(/ECONNREFUSED/);
    await expect(probe({ webUrl: `http://127.0.0.1:${await freePort()}/api/healthz` }).check(2000)).rejects.toThrow(/ECONNREFUSED/);
    // The web UI is not the SMTP server: it greets with no 220 banner. (Any page of MailDev's
    // web UI answers a browser with its index, so a wrong path is no test of the web half.)
    await expect(probe({ smtpPort: server.ports.web }).check(2000)).rejects.toThrow();
  });
});
