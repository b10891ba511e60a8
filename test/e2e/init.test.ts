import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { tmVersion } from '../../src/render/template.js';
import { freePort, processesMentioning, TM } from '../helpers/project.js';

// Each starter template: tm init, tm up on local binaries, and the stack works.
let root: string | undefined;
let demo: string | undefined;
// The new projects' tm dependency: this checkout (a link), standing in for the registry.
const CHECKOUT = resolve(TM, '../..');
const tm = (cwd: string, ...args: string[]) =>
  execa(process.execPath, [TM, ...args], { cwd, reject: false, env: { NO_COLOR: '1', TM_PACKAGE_SPEC: `file:${CHECKOUT}` }, timeout: 120_000 });
afterEach(async () => {
  if (demo) await tm(demo, 'down', '--volumes');
  if (root) await rm(root, { recursive: true, force: true });
  root = demo = undefined;
});

async function init(template: string, ...flags: string[]) {
  root = await mkdtemp(join(tmpdir(), 'tm-init-'));
  const ports = ['--pg-port', String(await freePort()), '--redis-port', String(await freePort()), '--app-port', String(await freePort())];
  const r = await tm(root, 'init', 'demo', '--template', template, '--yes', '--runtime', 'native', ...ports, ...flags);
  expect(r.exitCode, r.stderr).toBe(0);
  demo = join(root, 'demo');
  return { dir: demo, pgPort: Number(ports[1]), redisPort: Number(ports[3]), appPort: Number(ports[5]), stdout: r.stdout };
}
const hasScript = (await execa('script', ['--version'], { reject: false })).exitCode === 0;
if (!hasScript) console.warn('init: script(1) is not installed; skipping the terminal test');
const workflowRuns = async (dir: string) =>
  parse(await readFile(join(dir, '.github/workflows/ci.yml'), 'utf8'))
    .jobs.test.steps.map((s: { run?: string }) => s.run)
    .filter(Boolean);
async function query(dir: string, sql: string) {
  const url = /^DATABASE_URL=(.*)$/m.exec(await readFile(join(dir, '.env'), 'utf8'))![1]!;
  const c = new pg.Client(url);
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

describe('tm init', () => {
  it('minimal: Postgres and Redis, healthy, .gitignore and .env written; down --volumes cleans up', async () => {
    const { dir, pgPort, redisPort, stdout } = await init('minimal');
    expect(stdout).toContain('next: cd demo && tm up');
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toBe('.env\n.env.local\n.env.backup-*\n.taskmaster/\nnode_modules/\n');
    // tm init installed the project's own tm, as TM_PACKAGE_SPEC asked.
    expect(JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')).devDependencies).toEqual({ 'taskmaster-cli': `file:${CHECKOUT}` });
    expect(existsSync(join(dir, 'node_modules/.bin/tm'))).toBe(true);
    expect(await readFile(join(dir, '.env'), 'utf8')).toMatch(/^POSTGRES_PASSWORD=\S{24}$/m);
    expect((await tm(dir, 'up')).exitCode).toBe(0);
    expect(JSON.parse((await tm(dir, 'health', '--json')).stdout).status).toBe('ok');
    expect(await readdir(join(dir, '.taskmaster', 'data'))).not.toEqual([]);
    expect((await tm(dir, 'down', '--volumes')).exitCode).toBe(0);
    expect(await processesMentioning(` -p ${pgPort} `)).toEqual([]);
    expect(await processesMentioning(`:${redisPort}`)).toEqual([]);
    expect(await readdir(join(dir, '.taskmaster', 'data')).catch(() => [])).toEqual([]);
    expect(JSON.parse((await tm(dir, 'health', '--json')).stdout).status).toBe('error');
  });

  it("express-pg: migrations, seeds and the app's /health/ready; rollback --to 0 and migrate round-trip", async () => {
    const { dir, appPort, stdout } = await init('express-pg');
    // tm init installed the app's own dependencies (express, pg, ioredis, from the npm registry).
    expect(stdout).toContain('next: cd demo && tm up');
    const up = await tm(dir, 'up', '--json');
    expect(up.exitCode, up.stderr).toBe(0);
    const result = JSON.parse(up.stdout);
    expect(result.migrations.applied).toHaveLength(7);
    expect(up.stderr).toMatch(/demo API key \(shown once, stored hashed\): dh_\S+/);
    const ready = await fetch(`http://127.0.0.1:${appPort}/health/ready`);
    expect(ready.status).toBe(200);
    const body = await ready.json();
    expect(body.checks.database.status).toBe('ok');
    expect(body.checks.redis.status).toBe('ok');
    expect(typeof body.checks.database.latency_ms).toBe('number');
    expect((await query(dir, 'SELECT count(*)::int AS n FROM webhook_event_types'))[0].n).toBe(4);
    const [key] = await query(dir, "SELECT key_hash FROM api_keys WHERE name = 'demo'");
    expect(key.key_hash).toMatch(/^[0-9a-f]{64}$/);
    // This month's partition and a default one: an insert next month (or next year) still works.
    for (const table of ['request_logs', 'webhook_deliveries']) {
      expect((await query(dir, `SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = '${table}'::regclass`))[0].n).toBe(2);
    }
    await query(dir, "INSERT INTO request_logs (method, path, status, duration_ms, created_at) VALUES ('GET', '/', 200, 1, now() + interval '13 months')");
    // The template's own test script, and tm resolved the way the rendered workflow runs it.
    const test = await execa('npm', ['test'], { cwd: dir, reject: false });
    expect(test.exitCode, String(test.stdout) + String(test.stderr)).toBe(0);
    expect(await workflowRuns(dir)).toEqual(['npm ci', 'npx --no-install tm ci --external', 'npm test']);
    const npx = await execa('npx', ['--no-install', 'tm', '--version'], { cwd: dir, reject: false });
    expect(String(npx.stdout).trim()).toBe(tmVersion());
    expect((await tm(dir, 'db', 'rollback', '--to', '0')).exitCode).toBe(0);
    expect(
      await query(dir, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'tm_schema_migrations' AND tablename <> 'tm_seeds'"),
    ).toEqual([]);
    expect((await tm(dir, 'db', 'migrate')).exitCode).toBe(0);
    expect(JSON.parse((await tm(dir, 'db', 'status', '--json')).stdout)).toMatchObject({ applied: 7, pending: 0 });
    expect(await readFile(join(dir, 'Dockerfile'), 'utf8')).toContain('HEALTHCHECK');
    expect(await readFile(join(dir, '.dockerignore'), 'utf8')).toMatch(/^\.env$/m);
    expect((await tm(dir, 'render', 'dockerignore', '--check')).exitCode).toBe(0);
  }, 240_000);

  it('next-prisma: the Prisma migration applied as Prisma records it, demo data seeded, healthy', async () => {
    const { dir } = await init('next-prisma', '--no-install');
    // tm up needs no npm install: the seed gets its pg client from tm. (The whole install,
    // prisma included, is test/e2e/package.test.ts's.)
    const up = await tm(dir, 'up', '--json');
    expect(up.exitCode, up.stderr).toBe(0);
    const health = await tm(dir, 'health', '--json');
    expect(health.exitCode, health.stdout).toBe(0);
    expect(JSON.parse(health.stdout)).toMatchObject({ status: 'ok', checks: { postgres: { status: 'ok' }, redis: { status: 'ok' } } });
    const [row] = await query(dir, 'SELECT migration_name, finished_at, applied_steps_count FROM _prisma_migrations');
    expect(row).toMatchObject({ migration_name: '20240101000000_init', applied_steps_count: 1 });
    expect(
      await query(dir, `SELECT p.name AS project, count(t.*)::int AS tasks FROM "Project" p JOIN "Task" t ON t."projectId" = p.id GROUP BY p.name`),
    ).toEqual([{ project: 'Getting Started', tasks: 2 }]);
    expect(await query(dir, `SELECT name FROM "Habit"`)).toEqual([{ name: 'Daily Review' }]);
    expect(await readFile(join(dir, '.env'), 'utf8')).toMatch(/^NEXTAUTH_SECRET=\S{32}$/m);
    expect(await readFile(join(dir, 'compose.yml'), 'utf8')).toContain('test-db:');
    // Prisma migrations are forward-only: a reset is their round trip.
    expect(JSON.parse((await tm(dir, 'db', 'reset', '--yes', '--json')).stdout).path).toBe('replay');
    expect(await query(dir, `SELECT name FROM "Habit"`)).toEqual([{ name: 'Daily Review' }]);
    // A package.json, so the workflow's npm ci / npm test have something to run; its test
    // script checks the migration and the demo data (pg from the registry, installed by tm
    // init; prisma is a dev dependency whose engine download is not needed for it).
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    expect(pkg.dependencies.pg).toBeDefined();
    expect(pkg.devDependencies.prisma).toBeDefined();
    expect(await workflowRuns(dir)).toEqual(['npm ci', 'npx --no-install tm ci --external', 'npm test']);
    const install = await execa('npm', ['install', '--omit=dev', '--no-audit', '--no-fund'], { cwd: dir, reject: false });
    expect(install.exitCode, String(install.stderr)).toBe(0);
    const test = await execa('npm', ['test'], { cwd: dir, reject: false });
    expect(test.exitCode, String(test.stdout) + String(test.stderr)).toBe(0);
  }, 180_000);

  it('--no-install: package.json asks for taskmaster-cli ^version, and the next step installs with the package manager tm runs through', async () => {
    root = await mkdtemp(join(tmpdir(), 'tm-init-'));
    const run = (dir: string, env: Record<string, string>) =>
      execa(process.execPath, [TM, 'init', dir, '--template', 'express-pg', '--yes', '--no-install', '--json'], {
        cwd: root,
        reject: false,
        env: { NO_COLOR: '1', TM_PACKAGE_SPEC: '', ...env },
      });
    const npm = await run('a', { npm_config_user_agent: 'npm/11.0.0 node/v20.19.0 linux x64 workspaces/false' });
    expect(npm.exitCode, npm.stderr).toBe(0);
    expect(JSON.parse(npm.stdout)).toMatchObject({ installed: false, next: 'cd a && npm install && tm up' });
    expect(JSON.parse(await readFile(join(root, 'a', 'package.json'), 'utf8')).devDependencies).toEqual({ 'taskmaster-cli': `^${tmVersion()}` });
    expect(existsSync(join(root, 'a', 'node_modules'))).toBe(false);
    // Started through pnpm dlx (or a pnpm script): pnpm installs.
    const pnpm = await run('b', { npm_config_user_agent: 'pnpm/9.12.0 npm/? node/v20.19.0 linux x64' });
    expect(JSON.parse(pnpm.stdout).next).toBe('cd b && pnpm install && tm up');
  });

  it('refuses clashing files (listing them) and needs --yes without a terminal', async () => {
    root = await mkdtemp(join(tmpdir(), 'tm-init-'));
    await writeFile(join(root, 'taskmaster.yml'), 'name: mine\n');
    const clash = await tm(root, 'init', '--yes');
    expect(clash.exitCode).toBe(2);
    expect(clash.stderr).toContain('TM_INIT_CLASH');
    expect(clash.stderr).toContain('  taskmaster.yml');
    expect(await readFile(join(root, 'taskmaster.yml'), 'utf8')).toBe('name: mine\n');
    const noTty = await tm(root, 'init', 'other');
    expect(noTty.exitCode).toBe(2);
    expect(noTty.stderr).toContain('hint: pass --yes');
  });

  it.skipIf(!hasScript)(
    `on a terminal, clashing files are reported before any question${hasScript ? '' : ' (skipped: no script(1) to give tm a terminal)'}`,
    async () => {
      root = await mkdtemp(join(tmpdir(), 'tm-init-'));
      await writeFile(join(root, 'taskmaster.yml'), 'name: mine\n');
      // script(1) runs tm on a pseudo-terminal, as a person would.
      const r = await execa('script', ['-qec', `"${process.execPath}" "${TM}" init --no-color`, '/dev/null'], {
        cwd: root,
        reject: false,
        env: { CI: '' },
        input: '',
        timeout: 30_000,
      });
      expect(r.exitCode).toBe(2);
      expect(r.stdout).toContain('error TM_INIT_CLASH');
      expect(r.stdout).not.toContain('Project name');
    },
  );

  it('bad options are refused before anything is written, and a second run then works', async () => {
    root = await mkdtemp(join(tmpdir(), 'tm-init-'));
    const bad = await tm(root, 'init', 'bad', '--runtime', 'foo', '--yes');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('error TM_USAGE no runtime named "foo"');
    expect(existsSync(join(root, 'bad'))).toBe(false);
    const port = await freePort();
    const same = await tm(root, 'init', 'bad', '--template', 'express-pg', '--pg-port', String(port), '--app-port', String(port), '--yes');
    expect(same.exitCode).toBe(2);
    expect(same.stderr).toContain(`--pg-port and --app-port are both ${port}`);
    expect(existsSync(join(root, 'bad'))).toBe(false);
    const good = await tm(root, 'init', 'bad', '--runtime', 'native', '--yes');
    expect(good.exitCode, good.stderr).toBe(0);
  });

  it('a failure half-way removes what it wrote', async () => {
    root = await mkdtemp(join(tmpdir(), 'tm-init-'));
    // .github is a file, so the workflow cannot be written after the template's files were.
    await writeFile(join(root, '.github'), 'not a folder\n');
    await mkdir(join(root, 'keep'));
    const r = await tm(root, 'init', '--template', 'express-pg', '--yes');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error TM_INIT_WRITE cannot write .github/workflows/ci.yml');
    expect((await readdir(root)).sort()).toEqual(['.github', 'keep']);
    expect(await readFile(join(root, '.github'), 'utf8')).toBe('not a folder\n');
  });
});
