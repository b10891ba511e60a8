import { describe, expect, it } from 'vitest';
import type { AppService, PostgresService, RedisService } from '../../src/config/schema.js';
import { containerPort, defaultPort, inNetworkUrl, localService, serviceUrl, toNetworkUrl } from '../../src/config/services.js';

const pg: PostgresService = {
  kind: 'postgres',
  name: 'db',
  image: 'postgres:16',
  version: 16,
  host: '127.0.0.1',
  port: 55432,
  database: 'shop',
  user: 'shop user',
  password: 'p@ss word',
};
const redis: RedisService = { kind: 'redis', name: 'cache', image: 'redis:7', host: '0.0.0.0', port: 56379, persistence: 'aof' };
const web: AppService = { kind: 'app', name: 'web', host: '127.0.0.1', port: 3000, depends_on: [], env: {} };
const job: AppService = { kind: 'app', name: 'job', host: '127.0.0.1', depends_on: [], env: {} };
const services = [pg, redis, web, job];

describe('service URLs', () => {
  it('a database name with URL characters is read back by pg as written (one codec pair)', async () => {
    const { parseConnection } = await import('../../src/db/url.js');
    const { parseConfig } = await import('../../src/config/load.js');
    for (const database of ['a;b', 'x/y', 'p:q@r', 'k&v=w+1', 'cost$,5', '50%off', 'spa ce', 'ünï']) {
      const url = serviceUrl({ ...pg, database }, true)!;
      expect(parseConnection(url, 'test').database, url).toBe(database);
      expect(parseConnection(inNetworkUrl({ ...pg, database }, 'pw'), 'test').database).toBe(database);
    }
    // What no URL pg reads can hold is refused in taskmaster.yml.
    for (const database of ['a?b', 'c#d']) {
      let problems = '';
      try {
        parseConfig(`services:\n  postgres: { database: "${database}" }\n`, { file: '/p/taskmaster.yml', root: '/p', vars: {} });
      } catch (err) {
        problems = JSON.stringify(err);
      }
      expect(problems).toMatch(/services\.postgres\.database.*cannot be written in a database URL/);
    }
  });

  it('masks the password unless asked, and encodes user, password and database', () => {
    expect(serviceUrl(pg)).toBe('postgres://shop%20user:****@127.0.0.1:55432/shop');
    expect(serviceUrl(pg, true)).toBe('postgres://shop%20user:p%40ss%20word@127.0.0.1:55432/shop');
    expect(serviceUrl(redis)).toBe('redis://127.0.0.1:56379');
    expect(serviceUrl({ ...redis, password: 'secret' })).toBe('redis://:****@127.0.0.1:56379');
    expect(serviceUrl(web)).toBe('http://localhost:3000');
    expect(serviceUrl(job)).toBeUndefined();
  });

  it('inside the network: the service name and the container port, with the password as given', () => {
    expect(inNetworkUrl(pg, '${DB_PASSWORD}')).toBe('postgres://shop%20user:${DB_PASSWORD}@db:5432/shop');
    expect(inNetworkUrl(redis, 'x')).toBe('redis://cache:6379');
    expect(inNetworkUrl({ ...redis, password: 'pw' }, 'REPLACE_ME')).toBe('redis://:REPLACE_ME@cache:6379');
  });

  it("container ports are the images' for databases and the app's own; default ports by scheme", () => {
    expect([pg, redis, web, job].map(containerPort)).toEqual([5432, 6379, 3000, undefined]);
    expect(['postgres:', 'postgresql:', 'redis:', 'rediss:', 'https:', 'http:'].map(defaultPort)).toEqual(['5432', '5432', '6379', '6379', '443', '80']);
  });
});

describe('the in-network URL rewrite', () => {
  it('finds the service a URL on this machine points at by its port, on any loopback spelling', () => {
    expect(localService(services, 'postgres://u:p@127.0.0.1:55432/shop')).toBe(pg);
    expect(localService(services, 'redis://localhost:56379')).toBe(redis);
    expect(localService(services, 'http://[::1]:3000/x')).toBe(web);
    expect(localService(services, 'http://0.0.0.0:3000')).toBe(web);
  });

  it("leaves alone what is not a URL, not on this machine, or on no service's port", () => {
    expect(localService(services, 'info')).toBeUndefined();
    expect(localService(services, 'postgres://u:p@db.example.com:55432/shop')).toBeUndefined();
    expect(localService(services, 'postgres://u:p@127.0.0.1:5433/shop')).toBeUndefined();
    // No port: the scheme's default, which no service here uses.
    expect(localService(services, 'postgres://127.0.0.1/shop')).toBeUndefined();
    expect(localService([{ ...pg, port: 5432 }], 'postgres://127.0.0.1/shop')).toMatchObject({ name: 'db' });
  });

  it('rewrites host and port only, keeping credentials, path and query', () => {
    expect(toNetworkUrl('postgres://u:p%40x@127.0.0.1:55432/shop?sslmode=disable', pg)).toBe('postgres://u:p%40x@db:5432/shop?sslmode=disable');
    expect(toNetworkUrl('redis://:pw@localhost:56379/2', redis)).toBe('redis://:pw@cache:6379/2');
    expect(toNetworkUrl('http://localhost:3000/health', web)).toBe('http://web:3000/health');
    // Kubernetes: a DATABASE_URL from .env points at the cluster's postgres, wherever it pointed.
    expect(toNetworkUrl('postgres://u:p@db.example.com/shop', pg)).toBe('postgres://u:p@db:5432/shop');
    expect(toNetworkUrl('not a url', pg)).toBe('not a url');
  });
});

describe('an app environment in containers', () => {
  it('points URLs at published ports of the project to the services inside the network, and leaves the rest', async () => {
    const { parseConfig } = await import('../../src/config/load.js');
    const { appEnvironment } = await import('../../src/runtime/app-env.js');
    // No env files under this root: the values come from the contract's defaults and the model.
    const config = parseConfig(
      `name: shop
services:
  postgres: { port: 55432, database: shop, user: shop, password: pw }
  redis: { port: 56379 }
  api: { image: api, port: 3001 }
  web: { image: web, port: 3000, env: { API_URL: "http://localhost:3001/v1", DOCS_URL: "https://example.com:55432/" } }
env:
  TM_UNIT_UPSTREAM_URL: { type: url, default: "redis://127.0.0.1:56379/1" }
`,
      { file: '/nonexistent/shop/taskmaster.yml', root: '/nonexistent/shop', vars: {} },
    );
    const web = config.services.find((s) => s.name === 'web')!;
    if (web.kind !== 'app') throw new Error('web is an app');
    const local = await appEnvironment(config, web);
    expect(local).toMatchObject({
      DATABASE_URL: 'postgres://shop:pw@127.0.0.1:55432/shop',
      REDIS_URL: 'redis://127.0.0.1:56379',
      PORT: '3000',
      API_URL: 'http://localhost:3001/v1',
    });
    expect(await appEnvironment(config, web, { inContainer: true })).toMatchObject({
      DATABASE_URL: 'postgres://shop:pw@postgres:5432/shop',
      REDIS_URL: 'redis://redis:6379',
      API_URL: 'http://api:3001/v1',
      TM_UNIT_UPSTREAM_URL: 'redis://redis:6379/1',
      DOCS_URL: 'https://example.com:55432/',
      PORT: '3000',
    });
  });
});
