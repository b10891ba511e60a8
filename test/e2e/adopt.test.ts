import { cp, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerUnavailable } from '../helpers/container.js';
import { distinctPorts, KINDS_READY_MS, removeProject, runTm } from '../helpers/kinds-project.js';

// tm init --adopt on the fixture repositories (test/fixtures/adopt), then the real tm on what
// it wrote: `tm up` on local binaries, the project's original .env reaching the same servers
// with the same URLs, `tm render compose` accepted by `docker compose config`, `tm doctor`
// comparing the compose file with taskmaster.yml. Each fixture is copied, and its ports are
// moved to free ones in the copy (compose files and env files alike) before adopting, so the
// original .env and the compose file still agree as they did.

const FIXTURES = resolve(import.meta.dirname, '../fixtures/adopt');
// The real dbmate (npm's package ships its binary), to write a history as the team's tool did.
const DBMATE = resolve(import.meta.dirname, '../../node_modules/.bin/dbmate');
const made: string[] = [];
afterEach(async () => {
  for (const dir of made.splice(0)) await removeProject(dir);
}, KINDS_READY_MS);

/**
 * A copy of a fixture, its host ports (`from` -> free) rewritten in its compose and env files;
 * `inside`: ports moved in the container too (an app listens on the PORT it is given).
 */
async function fixture(name: string, hostPorts: Record<string, number>, inside: string[] = []): Promise<{ dir: string; ports: Record<string, number> }> {
  // Readable by the postgres account (tm runs Postgres as postgres under root).
  const dir = await mkdtemp(join(tmpdir(), `tm-adopt-${name}-`));
  made.push(dir);
  await execa('chmod', ['755', dir]);
  await cp(join(FIXTURES, name), dir, { recursive: true });
  const ports = await distinctPorts(Object.keys(hostPorts));
  for (const file of (await readdir(dir)).filter((f) => /compose|^\.env/.test(f))) {
    let text = await readFile(join(dir, file), 'utf8');
    for (const [label, from] of Object.entries(hostPorts)) {
      const to = String(ports[label]);
      if (inside.includes(label) && file.includes('compose')) text = text.replace(new RegExp(`\\b${from}\\b`, 'g'), to);
      text = text
        // The host side of a mapping (`5432:5432`, `127.0.0.1:5433:5432`, `${X:-5432}:5432`, `published: "..."`).
        .replace(new RegExp(`(^|[\\s"'\\-\\[]|\\d\\.\\d+:)${from}(?=[:}])`, 'gm'), `$1${to}`)
        // URLs and *_PORT values of the env files.
        .replace(new RegExp(`((?:localhost|127\\.0\\.0\\.1):)${from}(?=[/\\s"']|$)`, 'gm'), `$1${to}`)
        .replace(new RegExp(`^((?:[A-Z_]+_)?PORT=)${from}$`, 'gm'), `$1${to}`);
    }
    await writeFile(join(dir, file), text);
  }
  return { dir, ports };
}

async function adopt(
  dir: string,
): Promise<{ mapped: { from: string; to?: string; detail: string }[]; unmapped: { from: string; detail: string }[]; output: string }> {
  const r = await runTm(dir, ['init', '--adopt', '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  return { ...JSON.parse(r.stdout), output: r.stdout + r.stderr };
}

/** The variables of the project's own .env, as its app would read them. */
async function dotenv(dir: string): Promise<Record<string, string>> {
  const { parse } = await import('dotenv');
  const { expand } = await import('dotenv-expand');
  const parsed = parse(await readFile(join(dir, '.env'), 'utf8'));
  expand({ parsed, processEnv: {} });
  return parsed;
}

/** SELECT through a URL of the original .env. */
async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url.replace(/[?&]schema=[^&]*/, '') });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** `tm db status`: every migration file counts as applied. */
async function nothingPending(dir: string): Promise<void> {
  const status = await runTm(dir, ['db', 'status', '--json']);
  expect(status.exitCode, status.stderr).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ pending: 0 });
}

/** `tm render compose` as the project's own file, checked by Docker Compose itself. */
async function composeAccepts(dir: string): Promise<void> {
  const rendered = await runTm(dir, ['render', 'compose', '--out', 'tm-compose.yml']);
  expect(rendered.exitCode, rendered.stderr).toBe(0);
  const config = await execa('docker', ['compose', '-f', 'tm-compose.yml', 'config', '--quiet'], { cwd: dir, reject: false });
  expect(config.exitCode, config.stderr).toBe(0);
}

const noDocker = await dockerUnavailable([]);
const STANDINS = ['standin/postgres:15', 'standin/redis:7'];
const noStandins = noDocker ?? (await dockerUnavailable(STANDINS));

describe('tm init --adopt, then tm up on local binaries with the original .env', () => {
  it(
    'Next.js + Prisma: postgres, redis and the mail catcher on the ports of the compose file; the Prisma migrations applied; DATABASE_URL and REDIS_URL of .env work',
    async () => {
      const { dir, ports } = await fixture('next-prisma', { postgres: 5432, redis: 6379, smtp: 1025, web: 8025 });
      // The mail catcher runs from npm's maildev: the project's own node_modules (a user's has it installed).
      await symlink(resolve(import.meta.dirname, '../../node_modules'), join(dir, 'node_modules'));
      const envBefore = await readFile(join(dir, '.env'), 'utf8');
      const adopted = await adopt(dir);
      expect(adopted.unmapped.map((u) => u.from)).toEqual(['docker-compose.yml + docker-compose.override.yml services.pgadmin']);
      expect(adopted.output).not.toContain('acme-local-pw');

      // next itself is not installed here: the app is left to `npm run dev` once it is.
      const up = await runTm(dir, ['up', 'postgres', 'redis', 'mailhog', '--runtime', 'native', '--timeout', '120s']);
      expect(up.exitCode, up.stderr + up.stdout).toBe(0);
      expect(up.stdout + up.stderr).not.toContain('acme-local-pw-2f9c1d7e');

      const env = await dotenv(dir);
      expect(env.DATABASE_URL).toBe(`postgresql://acme:acme-local-pw-2f9c1d7e@localhost:${ports.postgres}/acme_dev?schema=public`);
      await nothingPending(dir);
      const tables = await query(env.DATABASE_URL!, `SELECT migration_name FROM _prisma_migrations ORDER BY 1`);
      expect(tables).toEqual([{ migration_name: '20240105093000_init' }, { migration_name: '20240212140000_add_tasks' }]);
      const redis = new Redis(env.REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
      redis.disconnect();
      const smtp = await runTm(dir, ['health', 'mailhog', '--json']);
      expect(JSON.parse(smtp.stdout).checks.mailhog.target).toBe(`smtp://127.0.0.1:${ports.smtp}`);

      expect(await readFile(join(dir, '.env'), 'utf8')).toBe(envBefore);
      const check = await runTm(dir, ['env', 'check']);
      expect(check.exitCode, check.stderr).toBe(0);

      // What remains different from the compose file: the mail catcher's image.
      const doctor = await runTm(dir, ['doctor', '--json']);
      const compose = JSON.parse(doctor.stdout).findings.find((f: { id: string }) => f.id === 'compose');
      expect(compose).toMatchObject({ status: 'warn', detail: expect.stringContaining('mailhog: image mailhog/mailhog:v1.0.1') });
      if (!noDocker) await composeAccepts(dir);
    },
    KINDS_READY_MS,
  );

  it(
    'Express + dbmate: the app from package.json on its port with its /health, the migrations applied, the literal password never printed',
    async () => {
      const { dir, ports } = await fixture('express-dbmate', { postgres: 5433, app: 3000 }, ['app']);
      await symlink(resolve(import.meta.dirname, '../../node_modules'), join(dir, 'node_modules'));
      const envBefore = await readFile(join(dir, '.env'), 'utf8');
      const adopted = await adopt(dir);
      expect(adopted.output).not.toContain('orders-compose-literal-pw');
      expect(adopted.unmapped.map((u) => u.from)).toEqual(['docker-compose.yml services.dbmate']);

      // The team's database as dbmate left it: the real dbmate, reading the project's own .env.
      const db = await runTm(dir, ['up', 'db', '--runtime', 'native', '--no-migrate', '--timeout', '120s']);
      expect(db.exitCode, db.stderr + db.stdout).toBe(0);
      const dbmate = await execa(DBMATE, ['--no-dump-schema', 'up'], { cwd: dir, reject: false });
      expect(dbmate.exitCode, dbmate.stderr).toBe(0);

      // tm takes dbmate's history over and applies nothing twice.
      const up = await runTm(dir, ['up', '--runtime', 'native', '--timeout', '120s']);
      expect(up.exitCode, up.stderr + up.stdout).toBe(0);
      expect(up.stdout + up.stderr).toContain('took over the history of dbmate (schema_migrations)');
      expect(up.stdout + up.stderr).not.toContain('orders-compose-literal-pw');

      const env = await dotenv(dir);
      expect(await query(env.DATABASE_URL!, 'SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 0 }]);
      const health = await fetch(`http://127.0.0.1:${ports.app}/health`);
      expect(health.status).toBe(200);
      // The app got the .env's own DATABASE_URL (as the contract's value), password and port included.
      expect(await health.json()).toEqual({ status: 'ok', database: `postgres://orders:****@127.0.0.1:${ports.postgres}/orders?sslmode=disable` });
      const status = await runTm(dir, ['db', 'status', '--exit-code']);
      expect(status.exitCode, status.stdout + status.stderr).toBe(0);

      expect(await readFile(join(dir, '.env'), 'utf8')).toBe(envBefore);
      const doctor = await runTm(dir, ['doctor', '--json']);
      expect(doctor.stdout).not.toContain('orders-compose-literal-pw');
      expect(JSON.parse(doctor.stdout).findings.find((f: { id: string }) => f.id === 'compose')).toMatchObject({ status: 'ok' });
      if (!noDocker) await composeAccepts(dir);

      const again = await runTm(dir, ['init', '--adopt']);
      expect(again.exitCode).toBe(2);
      expect(again.stderr).toContain('taskmaster.yml already exists');
    },
    KINDS_READY_MS,
  );

  it(
    'Go + golang-migrate: the database of env_file and ${VAR} credentials, on the port .env gives',
    async () => {
      const { dir, ports } = await fixture('go-migrate', { postgres: 5434 });
      const envBefore = await readFile(join(dir, '.env'), 'utf8');
      await adopt(dir);
      const up = await runTm(dir, ['up', 'postgres', '--runtime', 'native', '--timeout', '120s']);
      expect(up.exitCode, up.stderr + up.stdout).toBe(0);
      await nothingPending(dir);
      const env = await dotenv(dir);
      expect(env.DATABASE_URL).toBe(`postgres://ledger:ledger-dev-7d1c9e2b44@localhost:${ports.postgres}/ledger?sslmode=disable`);
      // The golang-migrate pairs were applied by tm's reading of that layout.
      expect(await query(env.DATABASE_URL!, `SELECT to_regclass('entries') IS NOT NULL AS made`)).toEqual([{ made: true }]);
      expect(await query(env.DATABASE_URL!, 'SELECT current_user AS u, current_database() AS d')).toEqual([{ u: 'ledger', d: 'ledger' }]);
      expect(await readFile(join(dir, '.env'), 'utf8')).toBe(envBefore);
      if (!noDocker) await composeAccepts(dir);
    },
    KINDS_READY_MS,
  );

  it(
    'Flyway: the database and the cache of compose.yaml on their ports, ${VAR:?} credentials from .env',
    async () => {
      const { dir, ports } = await fixture('flyway', { postgres: 5435, redis: 6380 });
      const envBefore = await readFile(join(dir, '.env'), 'utf8');
      await adopt(dir);
      const up = await runTm(dir, ['up', '--runtime', 'native', '--timeout', '120s']);
      expect(up.exitCode, up.stderr + up.stdout).toBe(0);
      await nothingPending(dir);
      const env = await dotenv(dir);
      const url = `postgres://${env.SPRING_DATASOURCE_USERNAME}:${env.SPRING_DATASOURCE_PASSWORD}@${env.SPRING_DATASOURCE_URL!.replace(/^jdbc:postgresql:\/\//, '')}`;
      expect(url).toBe(`postgres://inventory:inv-local-9a8b7c6d5e@localhost:${ports.postgres}/inventory`);
      expect(await query(url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
      const redis = new Redis(env.SPRING_REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
      redis.disconnect();
      expect(await readFile(join(dir, '.env'), 'utf8')).toBe(envBefore);
      if (!noDocker) await composeAccepts(dir);
    },
    KINDS_READY_MS,
  );

  it.skipIf(noStandins)(
    'Go + golang-migrate on the Docker runtime: the pairs applied in the container, reached by the URL of .env',
    async () => {
      const { dir, ports } = await fixture('go-migrate', { postgres: 5434 });
      // No image registry here: the stand-in (same variables and port) takes the official image's place.
      const compose = await readFile(join(dir, 'docker-compose.yaml'), 'utf8');
      await writeFile(join(dir, 'docker-compose.yaml'), compose.replace('image: postgres:16-alpine', `image: ${STANDINS[0]}`));
      const envBefore = await readFile(join(dir, '.env'), 'utf8');
      await adopt(dir);
      const up = await runTm(dir, ['up', 'postgres', '--runtime', 'docker', '--timeout', '120s']);
      expect(up.exitCode, up.stderr + up.stdout).toBe(0);
      expect(up.stdout + up.stderr).not.toContain('ledger-dev-7d1c9e2b44');
      await nothingPending(dir);
      const env = await dotenv(dir);
      expect(env.DATABASE_URL).toBe(`postgres://ledger:ledger-dev-7d1c9e2b44@localhost:${ports.postgres}/ledger?sslmode=disable`);
      expect(await query(env.DATABASE_URL!, `SELECT to_regclass('entries') IS NOT NULL AS made`)).toEqual([{ made: true }]);
      expect(await readFile(join(dir, '.env'), 'utf8')).toBe(envBefore);
    },
    KINDS_READY_MS,
  );

  it.skipIf(noStandins)(
    'Flyway on the Docker runtime: the same URLs of .env reach the containers',
    async () => {
      const { dir, ports } = await fixture('flyway', { postgres: 5435, redis: 6380 });
      // No image registry here: the stand-in images (same variables and ports) take the official ones' places.
      const compose = await readFile(join(dir, 'compose.yaml'), 'utf8');
      await writeFile(
        join(dir, 'compose.yaml'),
        compose.replace('image: postgres:15', `image: ${STANDINS[0]}`).replace('image: redis:7.2', `image: ${STANDINS[1]}`),
      );
      const envBefore = await readFile(join(dir, '.env'), 'utf8');
      await adopt(dir);
      const up = await runTm(dir, ['up', '--runtime', 'docker', '--timeout', '120s']);
      expect(up.exitCode, up.stderr + up.stdout).toBe(0);
      expect(up.stdout + up.stderr).not.toContain('inv-local-9a8b7c6d5e');
      await nothingPending(dir);
      const env = await dotenv(dir);
      const url = `postgres://${env.SPRING_DATASOURCE_USERNAME}:${env.SPRING_DATASOURCE_PASSWORD}@localhost:${ports.postgres}/inventory`;
      expect(await query(url, 'SELECT current_user AS u')).toEqual([{ u: 'inventory' }]);
      const redis = new Redis(env.SPRING_REDIS_URL!, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
      redis.disconnect();
      expect(await readFile(join(dir, '.env'), 'utf8')).toBe(envBefore);
    },
    KINDS_READY_MS,
  );
});
