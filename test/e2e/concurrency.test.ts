import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processStartTicks } from '../../src/runtime/native/proc.js';
import { processesMentioning, projectsPerTest, TM, type TempProject } from '../helpers/project.js';

// Commands run at the same time on one stack, the way two terminals (or a script and a
// person) do: the built tm, real Postgres and Redis.
const { project } = projectsPerTest();

/** A project whose Redis password is generated into .env by the first tm up (what two runs raced on). */
function withGeneratedSecrets() {
  return project({
    password: '${POSTGRES_PASSWORD}',
    extra: `env:
  POSTGRES_PASSWORD: { type: secret, generate: true }
  REDIS_PASSWORD: { type: secret, generate: true }
`,
  }).then(async (p) => {
    const yml = join(p.dir, 'taskmaster.yml');
    await writeFile(
      yml,
      (await readFile(yml, 'utf8')).replace(`redis: { port: ${p.redisPort}`, `redis: { port: ${p.redisPort}, password: "\${REDIS_PASSWORD}"`),
    );
    return p;
  });
}

const servers = (p: TempProject) => Promise.all([processesMentioning(` -p ${p.pgPort} `), processesMentioning(`:${p.redisPort}`)]).then((a) => a.flat());

/** tm in the background, resolving with its exit code and output. */
function background(p: TempProject, args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [TM, ...args], { cwd: p.dir, env: { ...process.env, NO_COLOR: '1', ...env } });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const done = new Promise<{ exitCode: number | null; stderr: string; stdout: string }>((resolve) =>
    child.on('exit', (exitCode) => resolve({ exitCode, stderr, stdout })),
  );
  const saw = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const look = () => stderr.includes(text) && resolve();
      child.stderr.on('data', look);
      child.on('exit', () => reject(new Error(`tm ${args.join(' ')} ended before printing "${text}":\n${stderr}`)));
      look();
    });
  return { child, done, saw };
}

/** Both services running, as tm status reads them from the processes, and usable with the password from .env. */
async function runningAndUsable(p: TempProject): Promise<void> {
  const status = JSON.parse((await p.tm(['status', '--json'])).stdout);
  expect(status.services.map((s: { state: string; health: string }) => [s.state, s.health])).toEqual([
    ['running', 'ok'],
    ['running', 'ok'],
  ]);
  const env = await readFile(join(p.dir, '.env'), 'utf8');
  const password = /^REDIS_PASSWORD=(.*)$/m.exec(env)![1]!;
  // The Redis that runs is the one with the password: a run that read the config before .env existed started none.
  expect((await execa('redis-cli', ['-p', String(p.redisPort), 'ping'], { reject: false })).stdout).toMatch(/NOAUTH/);
  expect((await execa('redis-cli', ['-p', String(p.redisPort), '--no-auth-warning', '-a', password, 'ping'])).stdout).toBe('PONG');
  // One postmaster and one Redis: no second server on a data directory the first one uses.
  expect(await processesMentioning(` -p ${p.pgPort} `)).toHaveLength(1);
  expect(await processesMentioning(`:${p.redisPort}`)).toHaveLength(1);
  for (const svc of ['postgres', 'redis']) expect(existsSync(join(p.dir, '.taskmaster', 'run', `${svc}.pid`))).toBe(true);
}

describe('one command at a time changes a stack', () => {
  it('two tm up at once: one starts the stack, the other waits and finds it running', async () => {
    const p = await withGeneratedSecrets();
    const [a, b] = await Promise.all([p.tm(['up', '--json']), p.tm(['up', '--json'])]);
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    const states = [a, b].map((r) =>
      JSON.parse(r.stdout)
        .services.map((s: { state: string }) => s.state)
        .join(','),
    );
    expect(states.sort()).toEqual(['already running,already running', 'started,started']);
    await runningAndUsable(p);
    expect((await p.tm(['down', '--volumes'])).exitCode).toBe(0);
    expect(await servers(p)).toEqual([]);
  });

  it('tm down during tm up waits for it, then stops everything; tm up during tm down starts afresh', async () => {
    const p = await withGeneratedSecrets();
    const up = background(p, ['up']);
    await up.saw('starting postgres');
    const down = await p.tm(['down', '--volumes']);
    expect((await up.done).exitCode).toBe(0);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/^waiting for tm up \(pid \d+, [\d.]+ m?s\)$/m);
    expect(await servers(p)).toEqual([]);
    expect(existsSync(join(p.dir, '.taskmaster', 'data', 'postgres'))).toBe(false);

    expect((await p.tm(['up'])).exitCode).toBe(0);
    const stopping = background(p, ['down', '--volumes']);
    await stopping.saw('stopping demo');
    const again = await p.tm(['up']);
    expect((await stopping.done).exitCode).toBe(0);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/waiting for tm down/);
    await runningAndUsable(p);
  });

  it('a command that would wait too long exits 5 naming the holder; reading commands never wait', async () => {
    const p = await withGeneratedSecrets();
    // Another command holds the lock (a live process of this machine, as tm records it).
    const holder = spawn('sleep', ['60']);
    try {
      await mkdir(join(p.dir, '.taskmaster'), { recursive: true });
      const record = {
        command: 'tm restart',
        pid: holder.pid,
        startTicks: await processStartTicks(holder.pid!),
        host: hostname(),
        since: new Date().toISOString(),
        nonce: 'feed',
      };
      await writeFile(join(p.dir, '.taskmaster', 'lock'), JSON.stringify(record));
      const t0 = performance.now();
      const up = await p.tm(['up'], { env: { TM_LOCK_TIMEOUT: '1s' } });
      expect(up.exitCode).toBe(5);
      expect(up.stderr).toMatch(
        new RegExp(`^error TM_STACK_BUSY tm restart \\(pid ${holder.pid}, since .*\\) is still changing this stack after waiting 1\\.\\d s$`, 'm'),
      );
      expect(up.stderr).toMatch(/^hint: .*kill \d+/m);
      expect(await servers(p)).toEqual([]);
      for (const args of [['status'], ['health'], ['env', 'show'], ['logs'], ['doctor']]) {
        const r = await p.tm(args, { env: { TM_LOCK_TIMEOUT: '30s' } });
        expect(r.stderr, args.join(' ')).not.toMatch(/waiting for/);
      }
      expect(performance.now() - t0).toBeLessThan(30_000);
    } finally {
      holder.kill();
    }
    // Its holder gone, the lock is taken over.
    const after = await p.tm(['up']);
    expect(after.exitCode, after.stderr).toBe(0);
    expect(after.stderr).not.toMatch(/waiting for/);
  });
});

describe('seeds at the same time', () => {
  it('8 tm db seed at once: each seed runs exactly once, and every run succeeds', async () => {
    const p = await project({ extra: 'db:\n  migrations: db/migrations\n  seeds: db/seeds\n' });
    await mkdir(join(p.dir, 'db', 'migrations'), { recursive: true });
    await mkdir(join(p.dir, 'db', 'seeds'), { recursive: true });
    await writeFile(join(p.dir, 'db/migrations/1_visits.sql'), 'CREATE TABLE visits (n int);\nCREATE TABLE users (id int PRIMARY KEY, name text);\n');
    // Not idempotent on purpose: it shows how often it ran.
    await writeFile(join(p.dir, 'db/seeds/01_visit.sql'), 'INSERT INTO visits VALUES (1);\n');
    await writeFile(join(p.dir, 'db/seeds/02_users.csv'), 'id,name\n1,ada\n2,grace\n');
    const up = await p.tm(['up', '--no-seed']);
    expect(up.exitCode, up.stderr).toBe(0);
    const runs = await Promise.all(Array.from({ length: 8 }, () => p.tm(['db', 'seed', '--json'])));
    for (const r of runs) expect(r.exitCode, r.stderr).toBe(0);
    const ran = runs.flatMap((r) => JSON.parse(r.stdout).ran.map((s: { path: string }) => s.path)).sort();
    expect(ran).toEqual(['db/seeds/01_visit.sql', 'db/seeds/02_users.csv']);
    const psql = (sql: string) =>
      execa('/usr/lib/postgresql/15/bin/psql', ['-h', '127.0.0.1', '-p', String(p.pgPort), '-U', 'demo_user', '-d', 'demo_db', '-tAc', sql], {
        env: { PGPASSWORD: 'pw-demo-secret' },
      });
    expect((await psql('SELECT count(*) FROM visits')).stdout).toBe('1');
    expect((await psql('SELECT count(*) FROM users')).stdout).toBe('2');
  });
});
