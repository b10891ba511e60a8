import { execa } from 'execa';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, TM } from '../helpers/project.js';
import { postgresBindir } from '../helpers/postgres-bin.js';

// `tm health` against servers that tm did not start: a Postgres from initdb/pg_ctl and a
// redis-server, on free ports in a temporary directory.
const BIN = await postgresBindir();
const PASSWORD = 'outside-secret-pw';
let dir: string;
let pgPort: number;
let redisPort: number;
let redis: ChildProcess | undefined;
let pgData: string | undefined;

/** As root, Postgres must run as the postgres user. */
const asPostgres = (file: string, args: string[]) => (userInfo().uid === 0 ? execa('runuser', ['-u', 'postgres', '--', file, ...args]) : execa(file, args));

async function startPostgres(): Promise<void> {
  const root = join(dir, 'pg');
  await mkdir(root, { recursive: true });
  await writeFile(join(root, 'pw'), PASSWORD);
  if (userInfo().uid === 0) {
    const { stdout } = await execa('id', ['-u', 'postgres']);
    const uid = Number(stdout.trim());
    await chmod(dir, 0o755);
    await chown(root, uid, uid);
    await chown(join(root, 'pw'), uid, uid);
  }
  const data = join(root, 'data');
  await asPostgres(`${BIN}/initdb`, [
    '-D',
    data,
    '-U',
    'outside',
    `--pwfile=${join(root, 'pw')}`,
    '--auth=scram-sha-256',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  pgData = data;
  await asPostgres(`${BIN}/pg_ctl`, ['-D', data, '-l', join(root, 'log'), '-w', '-o', `-p ${pgPort} -k ${root} -c listen_addresses=127.0.0.1`, 'start']);
}

async function startRedis(): Promise<void> {
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const until = Date.now() + 10_000;
  while ((await execa('redis-cli', ['-p', String(redisPort), 'ping'], { reject: false })).stdout.trim() !== 'PONG') {
    if (Date.now() > until) throw new Error('redis-server did not answer');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopRedis(): Promise<void> {
  if (!redis || redis.exitCode !== null) return;
  const exited = new Promise((r) => redis!.once('exit', r));
  redis.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tm-outside-'));
  pgPort = await freePort();
  do redisPort = await freePort();
  while (redisPort === pgPort);
  await writeFile(
    join(dir, 'taskmaster.yml'),
    `name: outside\nservices:\n  postgres: { port: ${pgPort}, user: outside, password: "${PASSWORD}", database: postgres }\n  redis: { port: ${redisPort} }\n`,
  );
  await startPostgres();
  await startRedis();
}, 60_000);

afterAll(async () => {
  await stopRedis();
  if (pgData) await asPostgres(`${BIN}/pg_ctl`, ['-D', pgData, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

const tm = async (...args: string[]) => {
  const r = await execa(process.execPath, [TM, ...args], { cwd: dir, reject: false, env: { NO_COLOR: '1' } });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
};

describe('tm health against servers started outside tm', () => {
  it('reports both ok with latencies, then redis as error (exit 1) once it is stopped', async () => {
    const ok = await tm('health', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    const doc = JSON.parse(ok.stdout);
    expect(doc.status).toBe('ok');
    for (const name of ['postgres', 'redis']) {
      expect(doc.checks[name].status).toBe('ok');
      expect(doc.checks[name].latency_ms).toBeGreaterThan(0);
    }
    expect(ok.stdout).not.toContain(PASSWORD);

    await stopRedis();
    const down = await tm('health', '--json');
    expect(down.code).toBe(1);
    const after = JSON.parse(down.stdout);
    expect(after.status).toBe('degraded');
    expect(after.checks.postgres.status).toBe('ok');
    expect(after.checks.redis).toMatchObject({ status: 'error', error: expect.stringMatching(/ECONNREFUSED/) });

    // --wait against the closed port gives up after about the timeout.
    const t0 = performance.now();
    const wait = await tm('health', '--wait', '--timeout', '1s', 'redis');
    expect(wait.code).toBe(5);
    expect(wait.stderr).toMatch(/^error TM_HEALTH_TIMEOUT redis not ready after 1s: .*ECONNREFUSED/m);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('suggests --wait only where waiting can help: not for a service never started, nor for a refused login', async () => {
    await stopRedis();
    const idle = await tm('health', 'redis');
    expect(idle.code).toBe(1);
    expect(idle.stderr).toContain('hint: not started: tm up starts redis');
    expect(idle.stderr).not.toContain('--wait');

    await writeFile(
      join(dir, 'wrong.yml'),
      `name: outside\nservices:\n  postgres: { port: ${pgPort}, user: outside, password: "not-the-password", database: postgres }\n`,
    );
    for (const args of [['health'], ['health', '--wait', '--timeout', '1s']]) {
      const refused = await tm('--config', 'wrong.yml', ...args);
      expect(refused.code).toBe(args.length > 1 ? 5 : 1);
      expect(refused.stderr).toContain('hint: postgres refused the configured login: its password or user differs from services.postgres');
      expect(refused.stderr).not.toContain('--wait');
      expect(refused.stderr).not.toContain('is it running?');
    }
  });
});
