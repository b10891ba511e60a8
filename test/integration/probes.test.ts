import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/load.js';
import { checkHealth } from '../../src/health/check.js';
import { httpProbe, pgProbe, redisProbe, tcpProbe } from '../../src/health/probes.js';
import { sendCommands } from '../../src/health/resp.js';
import { waitFor } from '../../src/health/wait-for.js';
import { NativeRuntime } from '../../src/runtime/native/runtime.js';
import { down } from '../../src/stack/down.js';
import { up } from '../../src/stack/up.js';
import { freePort, tempProject, type TempProject } from '../helpers/project.js';

// Real Postgres and Redis, started by the native runtime on free ports in a temp directory.
let project: TempProject;
let config: Config;
let runtime: NativeRuntime;

beforeAll(async () => {
  project = await tempProject({ name: 'probes' });
  config = await loadConfig({ cwd: project.dir });
  runtime = new NativeRuntime(config);
  await up(config, runtime, config.services, { timeoutMs: 60_000 });
});

afterAll(async () => {
  if (runtime) await down(runtime, config.services, { volumes: true });
  await project?.cleanup();
});

describe('postgres probe', () => {
  it('passes as the configured user on the configured database', async () => {
    const pg = config.services.find((s) => s.kind === 'postgres')!;
    await expect(pgProbe('postgres', pg as never).check(2000)).resolves.toBeUndefined();
  });

  it('fails with the server reason for a wrong password', async () => {
    const probe = pgProbe('postgres', { host: '127.0.0.1', port: project.pgPort, user: 'probes_user', password: 'wrong', database: 'probes_db' });
    await expect(probe.check(2000)).rejects.toThrow(/password authentication failed/);
  });

  it('fails for a database that does not exist', async () => {
    const probe = pgProbe('postgres', { host: '127.0.0.1', port: project.pgPort, user: 'probes_user', password: 'pw-probes-secret', database: 'nope' });
    await expect(probe.check(2000)).rejects.toThrow(/database "nope" does not exist/);
  });

  it('fails with connection refused on a closed port', async () => {
    const probe = pgProbe('postgres', { host: '127.0.0.1', port: await freePort(), user: 'x', database: 'x' });
    await expect(probe.check(2000)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('redis probe', () => {
  it('passes on PING', async () => {
    await expect(redisProbe('redis', { host: '127.0.0.1', port: project.redisPort }).check(2000)).resolves.toBeUndefined();
  });

  it('fails on a closed port', async () => {
    await expect(redisProbe('redis', { host: '127.0.0.1', port: await freePort() }).check(2000)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('fails when the server is not redis', async () => {
    await expect(redisProbe('redis', { host: '127.0.0.1', port: project.pgPort }).check(500)).rejects.toThrow();
  });

  it('a server still loading its dataset is not ready, with the reason', async () => {
    // A real Redis reading a million keys at start (~0.6 s here) answers -LOADING meanwhile.
    const dir = await mkdtemp(join(tmpdir(), 'tm-redis-loading-'));
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
    let server = spawn('redis-server', [...args, '--enable-debug-command', 'yes'], { stdio: 'ignore' });
    try {
      await waitFor(redisProbe('redis', { host: '127.0.0.1', port }), { timeoutMs: 10_000 });
      await sendCommands({ host: '127.0.0.1', port }, [['DEBUG', 'POPULATE', '1000000'], ['SAVE']], 30_000);
      await new Promise((r) => {
        server.once('exit', r);
        server.kill();
      });
      server = spawn('redis-server', args, { stdio: 'ignore' });
      await waitFor(tcpProbe('redis', '127.0.0.1', port), { timeoutMs: 10_000 });
      await expect(redisProbe('redis', { host: '127.0.0.1', port }).check(1000)).rejects.toThrow('redis is loading its dataset');
      await waitFor(redisProbe('redis', { host: '127.0.0.1', port }), { timeoutMs: 30_000 });
    } finally {
      server.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('redis probe with a password (requirepass)', () => {
  let server: ChildProcess;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', 'probe-pw', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await waitFor(tcpProbe('redis', '127.0.0.1', port), { timeoutMs: 10_000 });
  });
  afterAll(() => void server?.kill());

  it('passes with the password, fails without it or with a wrong one, naming the reason', async () => {
    await expect(redisProbe('redis', { host: '127.0.0.1', port, password: 'probe-pw' }).check(2000)).resolves.toBeUndefined();
    await expect(redisProbe('redis', { host: '127.0.0.1', port }).check(2000)).rejects.toThrow(/NOAUTH/);
    await expect(redisProbe('redis', { host: '127.0.0.1', port, password: 'wrong' }).check(2000)).rejects.toThrow(/WRONGPASS|invalid password/);
  });
});

describe('http and tcp probes', () => {
  let server: Server;
  let port: number;
  let status = 200;
  beforeAll(async () => {
    server = createServer((_, res) => res.writeHead(status).end('x'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('http passes on 2xx and fails on 503 naming the status', async () => {
    const probe = httpProbe('app', `http://127.0.0.1:${port}/health`);
    status = 200;
    await expect(probe.check(1000)).resolves.toBeUndefined();
    status = 503;
    await expect(probe.check(1000)).rejects.toThrow(/HTTP 503/);
  });

  it('tcp passes on an open port and fails on a closed one', async () => {
    await expect(tcpProbe('app', '127.0.0.1', port).check(1000)).resolves.toBeUndefined();
    await expect(tcpProbe('app', '127.0.0.1', await freePort()).check(1000)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('checkHealth and waitFor against real servers', () => {
  it('reports every service ok with latencies', async () => {
    const report = await checkHealth(config);
    expect(report.status).toBe('ok');
    expect(Object.keys(report.checks).sort()).toEqual(['postgres', 'redis']);
    for (const c of Object.values(report.checks)) expect(c.latency_ms).toBeGreaterThan(0);
  });

  it('notices a server that starts listening within tens of milliseconds', async () => {
    const port = await freePort();
    const server = createServer((_, res) => res.end());
    setTimeout(() => server.listen(port, '127.0.0.1'), 300);
    const t0 = performance.now();
    try {
      const r = await waitFor(tcpProbe('late', '127.0.0.1', port), { timeoutMs: 5000 });
      expect(r.attempts).toBeGreaterThan(3);
      expect(performance.now() - t0).toBeLessThan(300 + 200);
    } finally {
      server.close();
    }
  });

  it('reports redis as error (degraded overall) once it is stopped', async () => {
    const redis = config.services.find((s) => s.kind === 'redis')!;
    await runtime.stop([redis]);
    const report = await checkHealth(config);
    expect(report.status).toBe('degraded');
    expect(report.checks.redis!.status).toBe('error');
    expect(report.checks.redis!.error).toMatch(/ECONNREFUSED/);
    expect(report.checks.postgres!.status).toBe('ok');
  });
});
