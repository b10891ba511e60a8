import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, tempProject, type TempProject } from '../helpers/project.js';

// tm doctor against real services and real planted problems.
const projects: TempProject[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) s.close();
  await Promise.all(projects.splice(0).map((p) => p.cleanup()));
});
const listen = async (port: number, onConnection?: (socket: import('node:net').Socket) => void) => {
  const s = createServer(onConnection ?? ((c) => c.end()));
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  servers.push(s);
  return s;
};
const CONTRACT = 'env:\n  PORT: { type: port, required: true }\n  SESSION_SECRET: { type: secret, generate: true }\n';

describe('tm doctor', () => {
  it('reports every planted problem with its fix (exit 1); --fix repairs the safe ones; --json carries the same findings', async () => {
    const p = await tempProject({ name: 'sick', extra: CONTRACT });
    projects.push(p);
    await mkdir(join(p.dir, 'db', 'migrations'), { recursive: true });
    await writeFile(join(p.dir, 'db', 'migrations', '001_a.sql'), 'CREATE TABLE a (id int);');
    await writeFile(join(p.dir, '.env'), 'PORT=3000\n');
    await writeFile(join(p.dir, '.env.example'), 'PORT=3000\nSESSION_SECRET=\n');
    expect((await p.tm(['up'])).exitCode).toBe(0);
    // Plant: redis stopped and its port taken by another program, a stale PID file, an
    // invalid and a missing variable, an edited applied migration, no redis-server on PATH.
    expect((await p.tm(['down', 'redis'])).exitCode).toBe(0);
    await listen(p.redisPort);
    const dead = spawn('true');
    await new Promise((r) => dead.on('exit', r));
    await writeFile(join(p.dir, '.taskmaster', 'run', 'redis.pid'), JSON.stringify({ pid: dead.pid, startedAt: new Date().toISOString(), command: 'redis-server' }));
    await writeFile(join(p.dir, '.env'), 'PORT=http\n');
    await writeFile(join(p.dir, 'db', 'migrations', '001_a.sql'), 'CREATE TABLE a (id int, edited int);');
    const env = { PATH: '/usr/lib/postgresql/15/bin' };

    const r = await p.tm(['doctor'], { env });
    expect(r.exitCode).toBe(1);
    const out = r.stdout;
    expect(out).toMatch(/\[✗\] environment matches the contract: .*PORT: expected a port number, got "http".*SESSION_SECRET: is required|\[✗\] environment matches the contract: .*PORT: expected a port number/);
    expect(out).toMatch(/\[✗\] ports: redis: \d+ held by pid \d+/);
    expect(out).toMatch(/→ set services\.redis\.port: \d+ in taskmaster\.yml/);
    expect(out).toMatch(/\[!\] PID files of the native runtime: redis: stale PID file/);
    expect(out).toMatch(/\[✗\] migrations: 1_a edited\n\s+→ restore the files as applied, or tm db repair/);
    expect(out).toMatch(/\[✗\] local PostgreSQL and Redis binaries: redis-server not on PATH\n\s+→ apt-get install -y redis-server/);
    expect(out).toMatch(/^\d+ problems, \d+ warnings?$/m);

    const json = JSON.parse((await p.tm(['doctor', '--json'], { env })).stdout);
    // (Without docker on this PATH, the Docker check may add a warning of its own.)
    const failing = (findings: { id: string; status: string }[]) => findings.filter((f) => f.status !== 'ok' && f.id !== 'docker').map((f) => f.id).sort();
    expect(failing(json.findings)).toEqual(['binaries', 'env', 'migrations', 'pid-files', 'ports', 'services']);
    expect(json.findings.every((f: { status: string; fix?: string }) => f.status === 'ok' || f.fix)).toBe(true);

    const fixed = await p.tm(['doctor', '--fix', '--json'], { env });
    expect(fixed.exitCode).toBe(1);
    const fixedIds = JSON.parse(fixed.stdout).findings.filter((f: { fixed?: string }) => f.fixed).map((f: { id: string }) => f.id).sort();
    expect(fixedIds).toEqual(['env', 'pid-files', 'ports']);
    expect(await readFile(join(p.dir, '.env'), 'utf8')).toMatch(/^PORT=http\nSESSION_SECRET=\S{32}$/m); // existing value untouched
    expect(await readFile(join(p.dir, 'taskmaster.yml'), 'utf8')).not.toContain(`port: ${p.redisPort} }`);

    const after = JSON.parse((await p.tm(['doctor', '--json'], { env })).stdout);
    expect(failing(after.findings)).toEqual(['binaries', 'env', 'migrations', 'services']); // redis is down
  });

  it('finds a server running on the project\'s data that no PID file tracks', async () => {
    const p = await tempProject({ name: 'orphan' });
    projects.push(p);
    expect((await p.tm(['up'])).exitCode).toBe(0);
    const pidFile = join(p.dir, '.taskmaster', 'run', 'redis.pid');
    const { pid } = JSON.parse(await readFile(pidFile, 'utf8'));
    const { rm } = await import('node:fs/promises');
    await rm(pidFile);
    try {
      const r = await p.tm(['doctor', '--json']);
      const orphan = JSON.parse(r.stdout).findings.find((f: { id: string }) => f.id === 'orphans');
      expect(orphan).toMatchObject({ status: 'warn', detail: expect.stringContaining(`${pid} (`), fix: `kill ${pid} (then tm up)` });
      // Its port is then held by a process tm does not know: a problem of its own.
      const ports = JSON.parse(r.stdout).findings.filter((f: { id: string; status: string }) => f.id === 'ports' && f.status === 'fail');
      expect(ports.map((f: { detail: string }) => f.detail)).toEqual([expect.stringContaining(`held by pid ${pid}`)]);
      expect(r.exitCode).toBe(1);
    } finally {
      process.kill(pid, 'SIGTERM');
    }
  });

  it('cuts off a check that hangs and reports it', async () => {
    const silentPort = await freePort();
    await listen(silentPort, () => {}); // accepts, never answers
    const p = await tempProject({ name: 'hang' });
    projects.push(p);
    const yml = await readFile(join(p.dir, 'taskmaster.yml'), 'utf8');
    await writeFile(join(p.dir, 'taskmaster.yml'), yml.replace(`port: ${p.pgPort},`, `port: ${silentPort},`));
    const t0 = performance.now();
    const r = await p.tm(['doctor', '--check-timeout', '700ms', '--json']);
    expect(performance.now() - t0).toBeLessThan(5000);
    const services = JSON.parse(r.stdout).findings.find((f: { id: string }) => f.id === 'services');
    expect(services).toMatchObject({ status: 'fail', detail: expect.stringContaining('cut off') });
    expect(r.exitCode).toBe(1);
  });

  it('a healthy project exits 0 with every line [✓]', async () => {
    const p = await tempProject({ name: 'healthy', extra: 'env:\n  LOG_LEVEL: { enum: [info, debug], default: info }\n' });
    projects.push(p);
    await writeFile(join(p.dir, '.env.example'), 'LOG_LEVEL=info\n');
    expect((await p.tm(['up'])).exitCode).toBe(0);
    const r = await p.tm(['doctor']);
    expect(r.exitCode, r.stdout).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('['));
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.every((l) => l.startsWith('[✓]'))).toBe(true);
    expect(r.stdout).toContain('No problems found.');
  });
});
