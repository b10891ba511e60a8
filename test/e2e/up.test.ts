import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../src/runtime/native/proc.js';
import { isPortFree } from '../../src/runtime/ports.js';
import { processesMentioning, tempProject, TM, type TempProject } from '../helpers/project.js';
import { postgresBindir, postgresProgram } from '../helpers/postgres-bin.js';

// The real `tm` against real local binaries, the way a user runs it.
const PSQL = await postgresProgram('psql');
const projects: TempProject[] = [];
async function project(opts?: Parameters<typeof tempProject>[0]) {
  const p = await tempProject(opts);
  projects.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(projects.splice(0).map((p) => p.cleanup()));
});

async function psql(p: TempProject, sql: string, password = 'pw-demo-secret') {
  return execa(PSQL, ['-h', '127.0.0.1', '-p', String(p.pgPort), '-U', 'demo_user', '-d', 'demo_db', '-tAc', sql], {
    env: { PGPASSWORD: password },
    reject: false,
  });
}
const redisCli = (p: TempProject, ...args: string[]) => execa('redis-cli', ['-p', String(p.redisPort), ...args], { reject: false });
const serverProcesses = (p: TempProject) =>
  Promise.all([processesMentioning(` -p ${p.pgPort} `), processesMentioning(`:${p.redisPort}`)]).then((a) => a.flat());

/** Where the data went depends on whether the postgres user can reach the project dir. */
async function pgDataDir(p: TempProject): Promise<string> {
  const { projectId } = await import('../../src/config/load.js');
  for (const dir of [join(p.dir, '.taskmaster/data/postgres'), join('/var/lib/taskmaster', projectId('demo', p.dir), 'postgres')]) {
    if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  }
  throw new Error('no postgres data directory');
}

describe('tm up / down on local binaries', () => {
  it('starts usable services, keeps data across down/up, and --volumes deletes it', async () => {
    const p = await project();
    const first = await p.tm(['up', '--json']);
    expect(first.exitCode, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout);
    expect(result.services.map((s: { name: string; state: string }) => [s.name, s.state])).toEqual([
      ['postgres', 'started'],
      ['redis', 'started'],
    ]);
    // The password never reaches output.
    expect(first.stdout + first.stderr).not.toContain('pw-demo-secret');
    expect(result.services[0].url).toBe(`postgres://demo_user:****@127.0.0.1:${p.pgPort}/demo_db`);

    expect((await psql(p, 'SELECT current_user')).stdout.trim()).toBe('demo_user');
    expect((await psql(p, 'SELECT 1', 'wrong')).exitCode).not.toBe(0);
    expect((await redisCli(p, 'ping')).stdout.trim()).toBe('PONG');

    const health = await p.tm(['health', '--json']);
    expect(health.exitCode).toBe(0);
    expect(JSON.parse(health.stdout).status).toBe('ok');

    const again = await p.tm(['up']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/postgres\s+already running/);

    await psql(p, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$still here$$)');
    await redisCli(p, 'set', 'kept', 'yes');
    expect((await p.tm(['down'])).exitCode).toBe(0);
    expect(await serverProcesses(p)).toEqual([]);
    expect(await isPortFree(p.pgPort)).toBe(true);
    expect(await isPortFree(p.redisPort)).toBe(true);

    expect((await p.tm(['up'])).exitCode).toBe(0);
    expect((await psql(p, 'SELECT v FROM kept')).stdout.trim()).toBe('still here');
    expect((await redisCli(p, 'get', 'kept')).stdout.trim()).toBe('yes');

    const status = await p.tm(['status', '--json']);
    const rows = JSON.parse(status.stdout).services;
    expect(rows.map((r: { state: string; health: string }) => [r.state, r.health])).toEqual([
      ['running', 'ok'],
      ['running', 'ok'],
    ]);
    expect(rows[0].pid).toBeGreaterThan(0);

    const logs = await p.tm(['logs', 'postgres', '--tail', '5']);
    expect(logs.stdout).toMatch(/ready to accept connections/);

    expect((await p.tm(['down', '--volumes'])).exitCode).toBe(0);
    expect(await serverProcesses(p)).toEqual([]);
    expect(await readdir(join(p.dir, '.taskmaster', 'data')).catch(() => [])).toEqual([]);
    expect((await p.tm(['up'])).exitCode).toBe(0);
    expect((await psql(p, 'SELECT count(*) FROM kept')).exitCode).not.toBe(0); // the table is gone
  });

  it('reports a taken port with its holder before starting anything (--ports fixed)', async () => {
    const p = await project();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(p.redisPort, '127.0.0.1', r));
    try {
      // Without --ports fixed a new stack would take a block of its own (test/e2e/stacks.test.ts).
      const r = await p.tm(['up', '--ports', 'fixed']);
      expect(r.exitCode).toBe(4);
      expect(r.stderr).toContain(`error TM_PORT_TAKEN port ${p.redisPort} (redis) already in use`);
      expect(r.stderr).toContain(`pid ${process.pid}`);
      expect(r.stderr).toMatch(/set services\.redis\.port: \d+ in taskmaster.yml/);
      expect(existsSync(join(p.dir, '.taskmaster', 'run', 'postgres.pid'))).toBe(false);
      expect(await serverProcesses(p)).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  it("names a port's holder on one line, however odd its command line", async () => {
    const p = await project();
    const script = join(p.dir, 'h.js');
    await writeFile(script, `require('net').createServer().listen(${p.redisPort}, '127.0.0.1', () => console.log('up'))`);
    const holder = spawn(process.execPath, [script, 'line one\nline two', 'x'.repeat(300)], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((r) => holder.stdout.once('data', r));
      const r = await p.tm(['up', '--ports', 'fixed']);
      expect(r.exitCode).toBe(4);
      const line = r.stderr.split('\n').find((l) => l.includes(`is taken by pid ${holder.pid}`));
      expect(line).toMatch(/line one line two x+…\)$/);
      expect(line!.length).toBeLessThan(160);
      expect(r.stderr).not.toMatch(/^line two/m);
    } finally {
      holder.kill();
    }
  });

  it('exits 4 with an install hint when redis-server is not on PATH', async () => {
    const p = await project();
    const r = await p.tm(['up'], { env: { PATH: await postgresBindir() } });
    expect(r.exitCode).toBe(4);
    // No package manager on this PATH either: nothing tm can install, so the hint is the command to run.
    expect(r.stderr).toContain('error TM_BINARY_MISSING the native runtime needs redis-server: tm cannot install all of it here; nothing was installed');
    expect(r.stderr).toMatch(/^hint: no package manager tm can run here .*apt-get install -y redis-server/m);
    expect(await serverProcesses(p)).toEqual([]);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`stops what it started when it gets ${signal} before services are ready`, async () => {
      const p = await project();
      const child = spawn(process.execPath, [TM, 'up'], { cwd: p.dir, env: { ...process.env, NO_COLOR: '1' } });
      let stderr = '';
      const code = await new Promise<number | null>((resolve) => {
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          // initdb is running: the servers are not ready yet.
          if (stderr.includes('initializing postgres') && !child.killed) child.kill(signal);
        });
        // 'close', not 'exit': the last of stderr may arrive after the process has exited.
        child.on('close', (c) => resolve(c));
      });
      expect(code, stderr).toBe(130);
      expect(stderr).toContain('TM_INTERRUPTED');
      expect(await serverProcesses(p)).toEqual([]);
      expect(existsSync(join(p.dir, '.taskmaster', 'run', 'redis.pid'))).toBe(false);
    });
  }

  it('tm down kills a server that does not stop within 10 s, and says so', async () => {
    const p = await project();
    expect((await p.tm(['up', 'redis'])).exitCode).toBe(0);
    const { pid } = JSON.parse(await readFile(join(p.dir, '.taskmaster/run/redis.pid'), 'utf8'));
    process.kill(pid, 'SIGSTOP'); // hung: SIGTERM stays pending
    const r = await p.tm(['down']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`redis (pid ${pid}) did not stop within 10 s: killing it`);
    expect(r.stdout).toMatch(/redis: killed/);
    expect(await serverProcesses(p)).toEqual([]);
    expect(existsSync(join(p.dir, '.taskmaster', 'run', 'redis.pid'))).toBe(false);
  }, 60_000);

  it('treats a stale PID file as stopped and cleans it up', async () => {
    const p = await project();
    await mkdir(join(p.dir, '.taskmaster', 'run'), { recursive: true });
    const dead = spawn('true');
    await new Promise((r) => dead.on('exit', r));
    await writeFile(
      join(p.dir, '.taskmaster', 'run', 'redis.pid'),
      JSON.stringify({ pid: dead.pid, startedAt: new Date().toISOString(), command: 'redis-server' }),
    );
    // A PID reused by another program (this test process) with another start time:
    await writeFile(
      join(p.dir, '.taskmaster', 'run', 'postgres.pid'),
      JSON.stringify({ pid: process.pid, startTicks: '1', startedAt: new Date().toISOString(), command: 'postgres' }),
    );
    const status = JSON.parse((await p.tm(['status', '--json'])).stdout);
    expect(status.services.map((s: { state: string }) => s.state)).toEqual(['stopped', 'stopped']);
    expect(existsSync(join(p.dir, '.taskmaster', 'run', 'redis.pid'))).toBe(false);
    expect(existsSync(join(p.dir, '.taskmaster', 'run', 'postgres.pid'))).toBe(false);
    expect((await p.tm(['up'])).exitCode).toBe(0);
    expect((await p.tm(['down'])).exitCode).toBe(0);
  });

  it('refuses a data directory of another major version before starting, and explains', async () => {
    const p = await project();
    expect((await p.tm(['up'])).exitCode).toBe(0);
    expect((await p.tm(['down'])).exitCode).toBe(0);
    const status = JSON.parse((await p.tm(['status', '--json'])).stdout);
    expect(status.services[0].state).toBe('stopped');
    const file = join(await pgDataDir(p), 'PG_VERSION');
    await writeFile(file, '9\n');
    const r = await p.tm(['up']);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/error TM_PG_VERSION_MISMATCH the data directory .* was created by PostgreSQL 9, but the binaries found are 15/);
    expect(r.stderr).toContain('dump it');
    expect(await serverProcesses(p)).toEqual([]);
    await writeFile(file, '15\n');
  });

  it('stops waiting on a password the server rejects, and says which setting to fix', async () => {
    const p = await project();
    expect((await p.tm(['up'])).exitCode).toBe(0);
    expect((await psql(p, "ALTER ROLE demo_user PASSWORD 'changed-elsewhere'")).exitCode).toBe(0);
    const t0 = performance.now();
    const r = await p.tm(['up', '--timeout', '30s']);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(performance.now() - t0).toBeLessThan(15_000); // not the 30 s timeout
    expect(r.stderr).toMatch(/^error TM_PG_AUTH_FAILED postgres rejected user demo_user on database demo_db: password authentication failed/m);
    expect(r.stderr).toContain('services.postgres.password');
    expect(r.stderr).not.toContain('pw-demo-secret');
  });

  it('a timeout names the --timeout given, not what was left of it', async () => {
    const p = await project();
    // initdb alone takes longer than this.
    const r = await p.tm(['up', '--timeout', '300ms']);
    expect(r.exitCode, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/^error TM_HEALTH_TIMEOUT (postgres|redis) not ready after 300 ms: /m);
  });

  it('opens a data directory with binaries of its own major, even when the configured one is installed too', async () => {
    const p = await project(); // services.postgres.version unset: the newest major installed, no warning
    const unset = await p.tm(['up']);
    expect(unset.exitCode, unset.stderr).toBe(0);
    expect(unset.stderr).not.toContain('warning');
    expect((await p.tm(['down', '--volumes'])).exitCode).toBe(0);
    // A version the user asked for that is not installed (this machine has 15) is worth a warning.
    const yml = join(p.dir, 'taskmaster.yml');
    await writeFile(yml, (await readFile(yml, 'utf8')).replace('postgres: { ', 'postgres: { version: 16, '));
    const fresh = await p.tm(['up']);
    expect(fresh.exitCode, fresh.stderr).toBe(0);
    const warnings = fresh.stderr.split('\n').filter((l) => l.startsWith('warning'));
    expect(warnings).toEqual([
      expect.stringMatching(/^warning PostgreSQL 16 \(services\.postgres\.version\) is not installed: the new data directory is PostgreSQL 15 /),
    ]);
    expect((await p.tm(['down'])).exitCode).toBe(0);

    // Now a PostgreSQL 16 appears first on PATH. Its binaries must not even be run: the data is 15.
    const fake = join(p.dir, 'fake', 'postgresql', '16', 'bin');
    await mkdir(fake, { recursive: true });
    for (const b of ['initdb', 'postgres', 'pg_ctl']) await writeFile(join(fake, b), '#!/bin/sh\necho fake >&2\nexit 1\n', { mode: 0o755 });
    const again = await p.tm(['up'], { env: { PATH: `${fake}:${process.env.PATH}` } });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('warning');
    expect((await psql(p, 'SELECT 1')).stdout.trim()).toBe('1');
  });

  it('starts again after Postgres was killed, and past a lock file whose PID another program reused', async () => {
    const p = await project();
    expect((await p.tm(['up'])).exitCode).toBe(0);
    const { pid } = JSON.parse(await readFile(join(p.dir, '.taskmaster/run/postgres.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    // Dead, though maybe not reaped yet: a zombie still holds its PID (and postmaster.pid names it).
    for (let i = 0; i < 500 && (await isAlive(pid)); i++) await delay(10);
    const restarted = await p.tm(['up']);
    expect(restarted.exitCode, restarted.stderr).toBe(0);
    expect((await psql(p, 'SELECT 1')).stdout.trim()).toBe('1');
    expect((await p.tm(['down'])).exitCode).toBe(0);

    // postmaster.pid naming a live process of the server's user that is not this data
    // directory's postmaster (Postgres itself only discards a lock whose PID is free).
    const dataDir = await pgDataDir(p);
    const owner = await stat(dataDir);
    const other = spawn('sleep', ['60'], { uid: owner.uid, gid: owner.gid, cwd: '/', stdio: 'ignore' });
    try {
      await writeFile(join(dataDir, 'postmaster.pid'), `${other.pid}\n${dataDir}\n`);
      const again = await p.tm(['up']);
      expect(again.exitCode, again.stderr).toBe(0);
      expect((await psql(p, 'SELECT 1')).stdout.trim()).toBe('1');
    } finally {
      other.kill();
    }
  });

  it('runs two stacks of one project (same name, different directories) side by side, the second on ports of its own', async () => {
    const a = await project({ name: 'twin' });
    const b = await project({ name: 'twin' });
    expect((await a.tm(['up'])).exitCode).toBe(0);
    expect((await b.tm(['up'])).exitCode).toBe(0);
    expect((await a.tm(['down'])).exitCode).toBe(0);
    const bStatus = JSON.parse((await b.tm(['status', '--json'])).stdout);
    expect(bStatus.services.map((s: { state: string }) => s.state)).toEqual(['running', 'running']);
    const redisPort = bStatus.services.find((s: { name: string }) => s.name === 'redis').port;
    expect(redisPort).not.toBe(b.redisPort);
    expect((await execa('redis-cli', ['-p', String(redisPort), 'ping'], { reject: false })).stdout.trim()).toBe('PONG');
  });
});

describe('tm logs', () => {
  it('--tail N prints the last N lines, -n 0 none, and -f follows new lines until Ctrl-C (exit 130)', async () => {
    const p = await project();
    expect((await p.tm(['up'])).exitCode).toBe(0);
    const log = (await readFile(join(p.dir, '.taskmaster/logs/postgres.log'), 'utf8')).trimEnd().split('\n');
    expect(log.length).toBeGreaterThan(3);

    const three = await p.tm(['logs', 'postgres', '--tail', '3']);
    expect(three.stdout.split('\n')).toEqual(log.slice(-3));
    const both = await p.tm(['logs', '-n', '1']);
    expect(both.stdout.split('\n')).toEqual([expect.stringMatching(/^postgres \| /), expect.stringMatching(/^redis \| /)]);
    const none = await p.tm(['logs', 'postgres', '-n', '0']);
    expect(none.exitCode).toBe(0);
    expect(none.stdout).toBe('');

    const follow = spawn(process.execPath, [TM, 'logs', 'postgres', '-f', '-n', '0'], { cwd: p.dir, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    follow.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => follow.on('exit', (c) => resolve(c)));
    try {
      await delay(1000); // running and past its first look at the file
      await psql(p, 'SELECT tm_follow_marker()'); // the server logs the error
      for (let i = 0; i < 100 && !stdout.includes('tm_follow_marker'); i++) await delay(50);
      expect(stdout).toContain('function tm_follow_marker() does not exist');
      expect(stdout).not.toContain('ready to accept connections'); // -n 0: no history
      follow.kill('SIGINT');
      expect(await exited).toBe(130);
    } finally {
      follow.kill('SIGKILL');
    }
  });
});
