import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectId } from '../../src/config/load.js';
import { dockerUnavailable } from '../helpers/container.js';
import { freePort, TM } from '../helpers/project.js';

// Parallel stacks, the way a user (or a coding agent) makes them: a git repository with a tm
// project, `git worktree add`, `tm up` in the new worktree. Each test has a registry of its own
// (a folder inside the file's, test/helpers/state-home.ts), never the machine's: `tm ls` lists
// every stack of the machine, and a test sees only its own.

const PSQL = '/usr/lib/postgresql/15/bin/psql';
const IMAGES = { postgres: 'standin/postgres:15', redis: 'standin/redis:7' };
const dockerSkip = await dockerUnavailable(Object.values(IMAGES));

type Run = { exitCode: number; stdout: string; stderr: string };
const tm = async (cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => {
  const r = await execa(process.execPath, [TM, ...args], { cwd, reject: false, env: { NO_COLOR: '1', ...env }, timeout: 180_000 });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
};
const git = (cwd: string, ...args: string[]) => execa('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd });
const psql = (port: number, sql: string) =>
  execa(PSQL, ['-h', '127.0.0.1', '-p', String(port), '-U', 'forky', '-d', 'forky', '-tAc', sql], { env: { PGPASSWORD: 'pw-forky-secret' }, reject: false });
const portOf = (status: Run, svc: string): number => JSON.parse(status.stdout).services.find((s: { name: string }) => s.name === svc).port as number;

const fileStateHome = process.env.XDG_STATE_HOME!;
beforeEach(async () => {
  process.env.XDG_STATE_HOME = await mkdtemp(join(fileStateHome, 'test-'));
});
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  process.env.XDG_STATE_HOME = fileStateHome;
});

/** A git repository holding a tm project (a migration, a seed), with its first commit; stopped and deleted after the test. */
async function repository(runtime: 'native' | 'docker'): Promise<{ parent: string; main: string }> {
  const parent = await realpath(await mkdtemp(join(tmpdir(), 'tm-stacks-')));
  const main = join(parent, 'main');
  await mkdir(join(main, 'db', 'migrations'), { recursive: true });
  await mkdir(join(main, 'db', 'seeds'), { recursive: true });
  const pg = await freePort();
  let redis = await freePort();
  while (redis === pg) redis = await freePort();
  const images = runtime === 'docker' ? { pg: `, image: ${IMAGES.postgres}`, redis: `, image: ${IMAGES.redis}` } : { pg: '', redis: '' };
  await writeFile(
    join(main, 'taskmaster.yml'),
    `name: forky
runtime: ${runtime}
services:
  postgres: { port: ${pg}, database: forky, user: forky, password: "pw-forky-secret"${images.pg} }
  redis: { port: ${redis}${images.redis} }
env:
  DATABASE_URL: { type: postgres-url, required: true }
  REDIS_URL: { type: redis-url, required: true }
`,
  );
  await writeFile(join(main, 'db', 'migrations', '001_items.sql'), '-- migrate:up\nCREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);\n');
  await writeFile(join(main, 'db', 'seeds', '10_items.sql'), "INSERT INTO items VALUES (1, 'seeded one'), (2, 'seeded two') ON CONFLICT DO NOTHING;\n");
  await writeFile(join(main, '.gitignore'), '.env\n.taskmaster/\n');
  await git(main, 'init', '-q', '-b', 'main');
  await git(main, 'add', '-A');
  await git(main, 'commit', '-qm', 'a tm project');
  cleanups.push(async () => {
    for (const dir of [main, join(parent, 'wt2'), join(parent, 'wt3')]) if (existsSync(dir)) await tm(dir, ['down', '--volumes']);
    await rm(parent, { recursive: true, force: true });
    // Whatever a failed test left running on the folders' data goes with them.
    await tm(tmpdir(), ['prune', '--yes']);
  });
  return { parent, main };
}

/** Where a stack's data lives: the data directory of the native runtime (in the folder or, as root, outside it), or the compose volume. */
async function dataOf(runtime: 'native' | 'docker', dir: string): Promise<string[]> {
  if (runtime === 'docker') {
    const { stdout } = await execa('docker', ['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${projectId('forky', dir)}`]);
    return stdout.split('\n').filter(Boolean);
  }
  return [join(dir, '.taskmaster', 'data', 'postgres'), join('/var/lib/taskmaster', projectId('forky', dir), 'postgres')].filter((d) =>
    existsSync(join(d, 'PG_VERSION')),
  );
}

for (const runtime of ['native', 'docker'] as const) {
  describe.skipIf(runtime === 'docker' && dockerSkip)(`parallel stacks (${runtime})`, () => {
    it('a worktree gets its own ports and a copy of the data; the stacks are independent; prune removes the one whose folder is gone', async () => {
      const { parent, main } = await repository(runtime);
      const first = await tm(main, ['up', '--json']);
      expect(first.exitCode, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout).stack.mode).toBe('configured');
      const mainStatus = await tm(main, ['status', '--json']);
      const mainPg = portOf(mainStatus, 'postgres');
      // Seeded by tm up, and one more row by hand: the copy is of the database, not a re-run of the seeds.
      expect((await psql(mainPg, "INSERT INTO items VALUES (3, 'by hand')")).exitCode).toBe(0);

      await git(main, 'worktree', 'add', '-q', '../wt2');
      const wt2 = join(parent, 'wt2');
      const up = await tm(wt2, ['up', '--json']);
      expect(up.exitCode, up.stderr).toBe(0);
      const result = JSON.parse(up.stdout);
      expect(result.stack).toMatchObject({ mode: 'allocated', first: main });
      const wt2Pg = result.stack.ports.postgres.port as number;
      const wt2Redis = result.stack.ports.redis.port as number;
      expect([wt2Pg, wt2Redis]).not.toContain(mainPg);
      expect(wt2Pg).not.toBe(mainPg);
      // The URLs tm prints and writes into this worktree's .env are the stack's own.
      expect(result.services.find((s: { name: string }) => s.name === 'postgres').url).toContain(`:${wt2Pg}/forky`);
      const env = await readFile(join(wt2, '.env'), 'utf8');
      expect(env).toContain(`@127.0.0.1:${wt2Pg}/forky`);
      expect(env).toContain(`redis://127.0.0.1:${wt2Redis}`);
      expect(result.fork).toMatchObject({ from: main, method: 'dump' });
      expect((await psql(wt2Pg, 'SELECT name FROM items ORDER BY id')).stdout.trim().split('\n')).toEqual(['seeded one', 'seeded two', 'by hand']);
      // Every command of the stack uses its block: tm status shows it, tm health probes it.
      const status = JSON.parse((await tm(wt2, ['status', '--json'])).stdout);
      expect(status.stack).toMatchObject({ mode: 'allocated', ports: { postgres: { port: wt2Pg }, redis: { port: wt2Redis } } });
      expect(status.stack.configured.postgres.port).toBe(mainPg);
      expect(status.services.find((s: { name: string }) => s.name === 'postgres').port).toBe(wt2Pg);
      const health = JSON.parse((await tm(wt2, ['health', '--json'])).stdout);
      expect(health.checks.postgres.target).toContain(`:${wt2Pg}/forky`);

      // A migration of the worktree's branch stays in the worktree's stack.
      await writeFile(join(wt2, 'db', 'migrations', '002_tags.sql'), '-- migrate:up\nCREATE TABLE tags (id int);\n');
      const migrated = await tm(wt2, ['db', 'migrate']);
      expect(migrated.exitCode, migrated.stderr).toBe(0);
      expect((await psql(wt2Pg, 'SELECT count(*) FROM tags')).stdout.trim()).toBe('0');
      expect((await psql(mainPg, 'SELECT count(*) FROM tags')).stderr).toMatch(/relation "tags" does not exist/);
      expect((await psql(mainPg, "SELECT count(*) FROM tm_schema_migrations WHERE version = '2'")).stdout.trim()).toBe('0');

      // tm ls --json, from either folder, shows both stacks.
      const ls = await tm(main, ['ls', '--json']);
      expect(ls.exitCode, ls.stderr).toBe(0);
      const stacks = JSON.parse(ls.stdout).stacks;
      expect(stacks.map((s: { path: string; state: string; branch: string; runtime: string }) => [s.path, s.state, s.branch, s.runtime])).toEqual([
        [main, 'running', 'main', runtime],
        [wt2, 'running', 'wt2', runtime],
      ]);
      expect(stacks[1].ports).toEqual({ postgres: { port: wt2Pg }, redis: { port: wt2Redis } });
      // Both sizes, read at once (the Docker engine computes one disk usage at a time).
      for (const s of stacks) expect(s.data_bytes).toBeGreaterThan(0);

      // tm down in the worktree leaves the main stack running.
      expect((await tm(wt2, ['down'])).exitCode).toBe(0);
      const after = JSON.parse((await tm(main, ['status', '--json'])).stdout);
      expect(after.services.map((s: { state: string }) => s.state)).toEqual(['running', 'running']);

      // The worktree goes, then its stack: its data is gone, the main stack untouched.
      const wt2Data = await dataOf(runtime, wt2);
      expect(wt2Data.length).toBeGreaterThan(0);
      await git(main, 'worktree', 'remove', '--force', '../wt2');
      expect(JSON.parse((await tm(main, ['ls', '--json'])).stdout).stacks[1].state).toBe('gone');
      const pruned = await tm(main, ['prune', '--yes', '--json']);
      expect(pruned.exitCode, pruned.stderr).toBe(0);
      expect(JSON.parse(pruned.stdout).pruned.map((p: { path: string }) => p.path)).toEqual([wt2]);
      expect(await dataOf(runtime, wt2)).toEqual([]);
      if (runtime === 'native') for (const dir of wt2Data) expect(existsSync(dir)).toBe(false);
      expect(JSON.parse((await tm(main, ['ls', '--json'])).stdout).stacks.map((s: { path: string }) => s.path)).toEqual([main]);
      expect((await psql(mainPg, 'SELECT count(*) FROM items')).stdout.trim()).toBe('3');
      expect(JSON.parse((await tm(main, ['status', '--json'])).stdout).services.map((s: { state: string }) => s.state)).toEqual(['running', 'running']);

      // tm down --all, from any folder, stops every stack of the machine; the data stays.
      await git(main, 'worktree', 'add', '-q', '../wt3');
      const wt3 = join(parent, 'wt3');
      expect((await tm(wt3, ['up', '--from', 'none', '--no-seed'])).exitCode).toBe(0);
      const all = await tm(tmpdir(), ['down', '--all', '--json']);
      expect(all.exitCode, all.stderr).toBe(0);
      expect(JSON.parse(all.stdout).stacks.map((s: { path: string }) => s.path)).toEqual([main, wt3]);
      const states = JSON.parse((await tm(main, ['ls', '--json'])).stdout).stacks.map((s: { state: string }) => s.state);
      expect(states).toEqual(['stopped', 'stopped']);
      expect((await psql(mainPg, 'SELECT 1')).exitCode).not.toBe(0);
      expect((await tm(main, ['up'])).exitCode).toBe(0);
      expect((await psql(mainPg, 'SELECT count(*) FROM items')).stdout.trim()).toBe('3');
    }, 300_000);
  });
}

describe('parallel stacks (native): the edges', () => {
  it('two tm up at once in two new worktrees: each gets ports of its own, and both a copy', async () => {
    const { parent, main } = await repository('native');
    expect((await tm(main, ['up'])).exitCode).toBe(0);
    await git(main, 'worktree', 'add', '-q', '../wt2');
    await git(main, 'worktree', 'add', '-q', '../wt3');
    const [a, b] = await Promise.all(['wt2', 'wt3'].map((w) => tm(join(parent, w), ['up', '--json'])));
    expect(a!.exitCode, a!.stderr).toBe(0);
    expect(b!.exitCode, b!.stderr).toBe(0);
    const ports = [a!, b!].map((r) => JSON.parse(r.stdout).stack.ports);
    const all = ports.flatMap((p) => [p.postgres.port, p.redis.port]);
    expect(new Set(all).size).toBe(4);
    for (const r of [a!, b!]) expect(JSON.parse(r.stdout).fork.from).toBe(main);
    const registry = JSON.parse(await readFile(join(process.env.XDG_STATE_HOME!, 'taskmaster', 'stacks.json'), 'utf8'));
    expect(registry.stacks).toHaveLength(3);
  }, 300_000);

  it('--from none starts empty; before its first tm up a worktree does not talk to the other stack; a hand-written URL to it is a doctor warning', async () => {
    const { parent, main } = await repository('native');
    expect((await tm(main, ['up'])).exitCode).toBe(0);
    const mainPg = portOf(await tm(main, ['status', '--json']), 'postgres');
    await git(main, 'worktree', 'add', '-q', '../wt2');
    const wt2 = join(parent, 'wt2');

    const health = await tm(wt2, ['health']);
    expect(health.exitCode).toBe(4);
    expect(health.stderr).toContain(`error TM_STACK_NOT_UP tm health here would reach the stack in ${main}`);
    const db = await tm(wt2, ['db', 'status']);
    expect(db.exitCode).toBe(4);
    expect(db.stderr).toContain('TM_STACK_NOT_UP');

    const up = await tm(wt2, ['up', '--from', 'none', '--no-seed', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    const wt2Pg = JSON.parse(up.stdout).stack.ports.postgres.port;
    expect(JSON.parse(up.stdout).fork).toBeUndefined();
    expect((await psql(wt2Pg, 'SELECT count(*) FROM items')).stdout.trim()).toBe('0');

    // A value written by hand is never rewritten; the doctor says whose port it is.
    const env = await readFile(join(wt2, '.env'), 'utf8');
    await writeFile(join(wt2, '.env'), env.replace(`:${wt2Pg}/`, `:${mainPg}/`));
    const doctor = await tm(wt2, ['doctor', '--json']);
    const finding = JSON.parse(doctor.stdout).findings.find((f: { subject?: string }) => f.subject === 'DATABASE_URL');
    expect(finding).toMatchObject({ status: 'warn' });
    expect(finding.detail).toContain(`points at port ${mainPg}, which is the stack in ${main}`);
    expect(await readFile(join(wt2, '.env'), 'utf8')).toContain(`:${mainPg}/`);
  }, 300_000);

  it("a first stack whose taskmaster.yml port is taken gets a block (naming the holder); its ports stay across restarts; ports: fixed keeps today's error", async () => {
    const { main } = await repository('native');
    const config = await readFile(join(main, 'taskmaster.yml'), 'utf8');
    const redis = Number(/redis: \{ port: (\d+)/.exec(config)![1]);
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(redis, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => blocker.close(() => r())));

    const fixed = await tm(main, ['up', '--ports', 'fixed']);
    expect(fixed.exitCode).toBe(4);
    expect(fixed.stderr).toContain(`error TM_PORT_TAKEN port ${redis} (redis) already in use`);

    // The failed --ports fixed run recorded taskmaster.yml's ports for this stack: start over as a new stack.
    await rm(join(main, '.taskmaster'), { recursive: true, force: true });
    const up = await tm(main, ['up', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    const { stack } = JSON.parse(up.stdout);
    expect(stack.mode).toBe('allocated');
    expect(stack.reason).toContain(`taskmaster.yml's port ${redis} (redis) is taken by pid ${process.pid}`);
    const { ports } = stack;
    expect(ports.redis.port).not.toBe(redis);
    expect((await tm(main, ['down'])).exitCode).toBe(0);
    const again = await tm(main, ['up', '--json']);
    expect(JSON.parse(again.stdout).stack.ports).toEqual(ports);
  }, 300_000);
});
