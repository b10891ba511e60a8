import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectEngine } from '../../src/runtime/docker/detect.js';
import { tempProject, type TempProject } from '../helpers/project.js';

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
    await writeFile(
      join(p.dir, '.taskmaster', 'run', 'redis.pid'),
      JSON.stringify({ pid: dead.pid, startedAt: new Date().toISOString(), command: 'redis-server' }),
    );
    await writeFile(join(p.dir, '.env'), 'PORT=http\n');
    await writeFile(join(p.dir, 'db', 'migrations', '001_a.sql'), 'CREATE TABLE a (id int, edited int);');
    const env = { PATH: '/usr/lib/postgresql/15/bin' };

    const r = await p.tm(['doctor'], { env });
    expect(r.exitCode).toBe(1);
    const out = r.stdout;
    // SESSION_SECRET is not required: PORT is the one problem of the environment.
    expect(out).toMatch(/\[✗\] environment matches the contract: \.env:1 PORT: expected a port number, got "http"/);
    expect(out).not.toMatch(/environment matches the contract: .*SESSION_SECRET/);
    expect(out).toMatch(/\[✗\] ports: redis: \d+ held by pid \d+/);
    expect(out).toMatch(/→ set services\.redis\.port: \d+ in taskmaster\.yml/);
    expect(out).toMatch(/\[!\] PID files of the native runtime: redis: stale PID file/);
    expect(out).toMatch(/\[✗\] migrations: 001_a\.sql edited\n\s+→ restore the files as applied, or tm db repair/);
    expect(out).toMatch(
      /\[✗\] local PostgreSQL and Redis binaries: redis-server not on PATH\n\s+→ tm doctor --fix \(or tm up --yes\) installs it with the system's package manager: apt-get install -y redis-server/,
    );
    expect(out).toMatch(/^\d+ problems, \d+ warnings?$/m);

    const json = JSON.parse((await p.tm(['doctor', '--json'], { env })).stdout);
    // (Without docker on this PATH, the Docker check may add a warning of its own.)
    const failing = (findings: { id: string; status: string }[]) =>
      findings
        .filter((f) => f.status !== 'ok' && f.id !== 'docker')
        .map((f) => f.id)
        .sort();
    // (The program on the redis port hangs up at once: the persistence check cannot ask it.)
    expect(failing(json.findings)).toEqual(['binaries', 'env', 'migrations', 'pid-files', 'ports', 'redis-persistence', 'services']);
    expect(json.findings.every((f: { status: string; fix?: string }) => f.status === 'ok' || f.fix)).toBe(true);

    const fixed = await p.tm(['doctor', '--fix', '--json'], { env });
    expect(fixed.exitCode).toBe(1);
    // No package manager on this PATH: --fix cannot install redis-server, and says so.
    expect(fixed.stderr).toContain('warning the native runtime needs redis-server: tm cannot install all of it here; nothing was installed');
    const findings = JSON.parse(fixed.stdout).findings as { id: string; fixed?: string; attempted?: string; status: string }[];
    // .env got its missing secret, but PORT=http is still wrong: not counted as fixed.
    expect(
      findings
        .filter((f) => f.fixed)
        .map((f) => f.id)
        .sort(),
    ).toEqual(['pid-files', 'ports']);
    expect(findings.find((f) => f.id === 'env')).toMatchObject({ status: 'fail', attempted: expect.stringContaining('SESSION_SECRET') });
    expect(await readFile(join(p.dir, '.env'), 'utf8')).toMatch(/^PORT=http\nSESSION_SECRET=\S{32}$/m); // existing value untouched
    expect(await readFile(join(p.dir, 'taskmaster.yml'), 'utf8')).not.toContain(`port: ${p.redisPort} }`);

    const after = JSON.parse((await p.tm(['doctor', '--json'], { env })).stdout);
    // Redis is down, on a port now free and with no PID file: not started, which is no fault (tm up starts it).
    expect(failing(after.findings)).toEqual(['binaries', 'env', 'migrations']);
    expect(after.findings.find((f: { id: string; subject?: string }) => f.id === 'services' && f.subject === 'redis')).toMatchObject({
      status: 'ok',
      detail: 'redis: not started (tm up starts it)',
    });
  });

  it('names an engine that answers when the docker CLI is not on PATH', async (ctx) => {
    const { engine, rejected } = await detectEngine();
    if (!engine) {
      const why = `no Docker engine answers (${rejected.map((r) => `${r.source}: ${r.reason}`).join('; ')})`;
      if (process.env.TM_REQUIRE_DOCKER) throw new Error(`TM_REQUIRE_DOCKER is set but ${why}`);
      return ctx.skip(why);
    }
    const p = await tempProject({ name: 'nocli' });
    projects.push(p);
    const r = await p.tm(['doctor', '--json'], { env: { PATH: '/usr/lib/postgresql/15/bin' } });
    const docker = JSON.parse(r.stdout).findings.find((f: { id: string }) => f.id === 'docker');
    expect(docker).toMatchObject({
      status: 'warn',
      detail: `engine ${engine.version} at ${engine.host}, but the docker CLI is not on PATH`,
      fix: expect.stringContaining('install the docker CLI'),
    });
  });

  it("finds a server running on the project's data that no PID file tracks", async () => {
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

  it('cuts off a check that hangs and reports it with a fix; redis that never answers does not hang its check', async () => {
    const p = await tempProject({ name: 'hang' });
    projects.push(p);
    // Both ports accept connections and never answer.
    await listen(p.pgPort, () => {});
    await listen(p.redisPort, () => {});
    const t0 = performance.now();
    const r = await p.tm(['doctor', '--check-timeout', '3s', '--json']);
    expect(performance.now() - t0).toBeLessThan(15_000);
    const findings = JSON.parse(r.stdout).findings as { id: string; status: string; detail: string; fix?: string }[];
    const services = findings.find((f) => f.id === 'services');
    expect(services).toMatchObject({ status: 'fail', detail: expect.stringContaining('cut off') });
    expect(services!.fix).toMatch(new RegExp(`what holds ports ${p.pgPort}, ${p.redisPort} \\(ss -ltnp\\), or tm doctor --check-timeout \\d+s`));
    expect(findings.find((f) => f.id === 'redis-persistence')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/^not checked: redis at .* does not answer/),
    });
    expect(findings.every((f) => f.status === 'ok' || f.fix)).toBe(true);
    expect(r.exitCode).toBe(1);
  });

  it('--fix counts a repair only when the check passes afterwards; .env tracked by git is named alone', async () => {
    const p = await tempProject({ name: 'refix', extra: CONTRACT });
    projects.push(p);
    await writeFile(join(p.dir, '.env'), 'PORT=http\n');
    await writeFile(join(p.dir, '.env.local'), 'LOCAL=1\n');
    const { execa } = await import('execa');
    await execa('git', ['init', '-q'], { cwd: p.dir });
    await execa('git', ['add', '-f', '.env'], { cwd: p.dir }); // .env.local stays untracked
    const r = await p.tm(['doctor', '--fix']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(
      /\[✗\] environment matches the contract: \.env:1 PORT: expected a port number.*\n\s+--fix: merged \.env: added SESSION_SECRET, but the problem is still there\n\s+→ /,
    );
    expect(r.stdout).not.toMatch(/environment matches the contract: fixed/);
    expect(await readFile(join(p.dir, '.env'), 'utf8')).toMatch(/^PORT=http\nSESSION_SECRET=\S+$/m);
    expect(r.stdout).toMatch(/\[!\] \.env is not tracked by git: tracked: \.env\n\s+→ git rm --cached \.env && printf '\.env\\n' >> \.gitignore\n/);
  });

  it('moves a clashing port by editing only that value and counts it fixed; names the URL variables left on the old port', async () => {
    const p = await tempProject({ name: 'moved', extra: '  api: { command: "node -e 0", depends_on: [postgres, redis] } # keep me\n' });
    projects.push(p);
    await writeFile(join(p.dir, '.env'), `REDIS_URL=redis://127.0.0.1:${p.redisPort}/0\n`);
    await listen(p.redisPort);
    const before = await readFile(join(p.dir, 'taskmaster.yml'), 'utf8');
    const r = await p.tm(['doctor', '--fix', '--json']);
    const result = JSON.parse(r.stdout) as { fixed: number; findings: { id: string; subject?: string; fixed?: string; attempted?: string }[] };
    const ports = result.findings.filter((f) => f.id === 'ports');
    // The clash is gone: counted as fixed, although the re-check warns about redis again.
    const clash = ports.find((f) => f.subject === 'redis')!;
    const next = Number(/^services\.redis\.port set to (\d+)/.exec(clash.fixed ?? '')?.[1]);
    expect(next).toBeGreaterThan(p.redisPort);
    expect(clash.attempted).toBeUndefined();
    expect(result.fixed).toBe(1);
    expect(await readFile(join(p.dir, 'taskmaster.yml'), 'utf8')).toBe(before.replace(`port: ${p.redisPort} }`, `port: ${next} }`));
    // The port moved, but REDIS_URL in .env still points at the old one: what is left to do, found by the re-check.
    expect(ports.find((f) => f.subject === 'REDIS_URL')).toEqual({
      id: 'ports',
      title: 'ports',
      subject: 'REDIS_URL',
      status: 'warn',
      detail: `redis: REDIS_URL (.env:1) uses port ${p.redisPort}, but services.redis.port is ${next}`,
      fix: `edit .env:1: REDIS_URL with port ${next}`,
    });
  });

  it('a healthy project exits 0 with every line [✓]; migrations and client tools follow DATABASE_URL as tm db does', async () => {
    const p = await tempProject({ name: 'healthy', extra: 'env:\n  LOG_LEVEL: { enum: [info, debug], default: info }\n' });
    projects.push(p);
    await writeFile(join(p.dir, '.env.example'), 'LOG_LEVEL=info\n');
    await mkdir(join(p.dir, 'db', 'migrations'), { recursive: true });
    await writeFile(join(p.dir, 'db', 'migrations', '001_t.sql'), 'CREATE TABLE t (id int);');
    expect((await p.tm(['up'])).exitCode).toBe(0);
    const r = await p.tm(['doctor']);
    expect(r.exitCode, r.stdout).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('['));
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.every((l) => l.startsWith('[✓]'))).toBe(true);
    expect(r.stdout).toContain('No problems found.');
    expect(r.stdout).toContain('[✓] migrations: 1 applied, none pending (services.postgres in taskmaster.yml)');

    const url = (password: string, db: string) => `DATABASE_URL=postgres://healthy_user:${password}@127.0.0.1:${p.pgPort}/${db}\n`;
    const finding = async (id: string) => JSON.parse((await p.tm(['doctor', '--json'])).stdout).findings.find((f: { id: string }) => f.id === id);
    // Another database on the same server: its migrations are the ones that count.
    await writeFile(join(p.dir, '.env'), `LOG_LEVEL=info\n${url('pw-healthy-secret', 'postgres')}`);
    expect(await finding('migrations')).toMatchObject({ status: 'warn', detail: '1 pending (DATABASE_URL)', fix: 'tm db migrate' });
    // A wrong password: not checked is a warning, and the fix is the URL, not "tm up".
    await writeFile(join(p.dir, '.env'), `LOG_LEVEL=info\n${url('wrong-password', 'healthy_db')}`);
    for (const id of ['migrations', 'pg-tools']) {
      const f = await finding(id);
      expect(f, id).toMatchObject({
        status: 'warn',
        detail: expect.stringContaining('not checked'),
        fix: expect.stringContaining('user/password in DATABASE_URL'),
      });
      expect(f.fix).not.toContain('tm up');
    }
  });

  it('checks that need the config are not shown as passed when it does not load', async () => {
    const p = await tempProject({ name: 'broken' });
    projects.push(p);
    await writeFile(join(p.dir, 'taskmaster.yml'), 'name: broken\nservices:\n  redis: { port: nope }\n');
    const r = await p.tm(['doctor']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^\[✗\] taskmaster\.yml: /m);
    expect(r.stdout).toMatch(/^\[-\] ports: not checked: taskmaster\.yml does not load$/m);
    expect(r.stdout).not.toMatch(/^\[✓\] ports/m);
  });
});
