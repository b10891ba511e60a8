import { execa } from 'execa';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, TM } from '../helpers/project.js';

// Each starter template: tm init, tm up on local binaries, and the stack works.
let root: string | undefined;
let demo: string | undefined;
const tm = (cwd: string, ...args: string[]) => execa(process.execPath, [TM, ...args], { cwd, reject: false, env: { NO_COLOR: '1' }, timeout: 120_000 });
afterEach(async () => {
  if (demo) await tm(demo, 'down', '--volumes');
  if (root) await rm(root, { recursive: true, force: true });
  root = demo = undefined;
});

async function init(template: string) {
  root = await mkdtemp(join(tmpdir(), 'tm-init-'));
  const ports = ['--pg-port', String(await freePort()), '--redis-port', String(await freePort()), '--app-port', String(await freePort())];
  const r = await tm(root, 'init', 'demo', '--template', template, '--yes', '--runtime', 'native', ...ports);
  expect(r.exitCode, r.stderr).toBe(0);
  demo = join(root, 'demo');
  return { dir: demo, appPort: Number(ports[5]) };
}
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
  it('minimal: Postgres and Redis, healthy, .gitignore and .env written', async () => {
    const { dir } = await init('minimal');
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toBe('.env\n.env.local\n.env.backup-*\n.taskmaster/\n');
    expect(await readFile(join(dir, '.env'), 'utf8')).toMatch(/^POSTGRES_PASSWORD=\S{24}$/m);
    expect((await tm(dir, 'up')).exitCode).toBe(0);
    expect(JSON.parse((await tm(dir, 'health', '--json')).stdout).status).toBe('ok');
  });

  it('express-pg: migrations, seeds and the app\'s /health/ready; rollback --to 0 and migrate round-trip', async () => {
    const { dir, appPort } = await init('express-pg');
    // The app's own dependencies (express, pg, ioredis) come from the npm registry.
    const install = await execa('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, reject: false });
    expect(install.exitCode, String(install.stderr)).toBe(0);
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
    expect((await query(dir, "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'request_logs'::regclass"))[0].n).toBe(1);
    expect((await tm(dir, 'db', 'rollback', '--to', '0')).exitCode).toBe(0);
    expect(await query(dir, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'tm_schema_migrations' AND tablename <> 'tm_seeds'")).toEqual([]);
    expect((await tm(dir, 'db', 'migrate')).exitCode).toBe(0);
    expect(JSON.parse((await tm(dir, 'db', 'status', '--json')).stdout)).toMatchObject({ applied: 7, pending: 0 });
    expect(await readFile(join(dir, 'Dockerfile'), 'utf8')).toContain('HEALTHCHECK');
  }, 180_000);

  it('next-prisma: the Prisma migration applied as Prisma records it, demo data seeded', async () => {
    const { dir } = await init('next-prisma');
    const up = await tm(dir, 'up', '--json');
    expect(up.exitCode, up.stderr).toBe(0);
    const [row] = await query(dir, 'SELECT migration_name, finished_at, applied_steps_count FROM _prisma_migrations');
    expect(row).toMatchObject({ migration_name: '20240101000000_init', applied_steps_count: 1 });
    expect(await query(dir, `SELECT p.name AS project, count(t.*)::int AS tasks FROM "Project" p JOIN "Task" t ON t."projectId" = p.id GROUP BY p.name`)).toEqual([{ project: 'Getting Started', tasks: 2 }]);
    expect(await query(dir, `SELECT name FROM "Habit"`)).toEqual([{ name: 'Daily Review' }]);
    expect(await readFile(join(dir, '.env'), 'utf8')).toMatch(/^NEXTAUTH_SECRET=\S{32}$/m);
    expect(await readFile(join(dir, 'compose.yml'), 'utf8')).toContain('test-db:');
    // Prisma migrations are forward-only: a reset is their round trip.
    expect(JSON.parse((await tm(dir, 'db', 'reset', '--yes', '--json')).stdout).path).toBe('replay');
    expect(await query(dir, `SELECT name FROM "Habit"`)).toEqual([{ name: 'Daily Review' }]);
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
});
