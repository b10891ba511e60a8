import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { composeDrift } from '../../src/doctor/compose-drift.js';
import { adoptProject, planAdoption } from '../../src/init/adopt/adopt.js';
import { inferContract, inferType } from '../../src/init/adopt/env-contract.js';
import { findMigrations, migrationsConfig } from '../../src/init/adopt/migrations.js';

// tm init --adopt on the fixture repositories (test/fixtures/adopt: a Next.js + Prisma app, an
// Express API with dbmate, a Go service with golang-migrate, a Flyway project), read from disk
// as they are; and the env contract's inference on its own.

const FIXTURES = resolve(import.meta.dirname, '../fixtures/adopt');
const plan = async (name: string) => {
  const p = await planAdoption(join(FIXTURES, name), {});
  return { ...p, yml: parse(p.text) as Record<string, Record<string, Record<string, unknown>>> };
};

describe('env types from values and names', () => {
  it.each([
    ['DATABASE_URL', 'postgresql://u:p@localhost:5432/db', 'postgres-url'],
    ['CACHE', 'rediss://cache:6380', 'redis-url'],
    ['NEXTAUTH_URL', 'http://localhost:3000', 'url'],
    ['AMQP', 'amqp://guest:guest@localhost', 'url'],
    ['PORT', '3000', 'port'],
    ['SMTP_PORT', '1025', 'port'],
    ['PORT', '70000', 'int'],
    ['WORKERS', '4', 'int'],
    ['RATIO', '0.25', 'number'],
    ['DEBUG', 'false', 'bool'],
    ['EMAIL_FROM', 'noreply@acme.test', 'email'],
    ['TIMEOUT', '30s', 'duration'],
    ['FLAGS', '{"beta":true}', 'json'],
    ['JWT_SECRET', 'abc', 'secret'],
    ['DB_PASSWORD', '', 'secret'],
    ['GITHUB_TOKEN', 'ghp_x', 'secret'],
    ['STRIPE_KEY', 'sk_test', 'secret'],
    ['NEXT_PUBLIC_MAPS_KEY', 'pk_1', 'string'],
    ['REGION', 'eu-west-1', 'string'],
    ['SPRING_DATASOURCE_URL', 'jdbc:postgresql://localhost/x', 'string'],
  ])('%s=%s is %s', (key, value, type) => {
    expect(inferType(key, value)).toBe(type);
  });

  it('required where the example has no value; its value the default otherwise; secrets never defaulted, app secrets generated', () => {
    const { contract } = inferContract({
      example: { DATABASE_URL: '', LOG_LEVEL: 'info', JWT_SECRET: '', STRIPE_API_KEY: '', SESSION_SECRET: 'change-me', REF: 'http://${HOST}' },
    });
    expect(contract).toEqual({
      DATABASE_URL: { type: 'postgres-url', required: true },
      LOG_LEVEL: { type: 'string', default: 'info' },
      JWT_SECRET: { type: 'secret', generate: true },
      STRIPE_API_KEY: { type: 'secret', required: true },
      SESSION_SECRET: { type: 'secret', generate: true },
      // A default holding ${...} would be expanded by tm: the variable is required instead.
      REF: { type: 'url', required: true },
    });
  });

  it('widens a type the existing .env does not pass, so the project stays valid (and says so without the value)', () => {
    const { contract, findings } = inferContract({
      example: { DB_PASSWORD: '', PORT: '3000', RETRIES: '3' },
      env: { DB_PASSWORD: 'postgres', PORT: '3000', RETRIES: 'three', LOCAL_ONLY: 'x' },
    });
    expect(contract.DB_PASSWORD).toEqual({ type: 'string', required: true });
    expect(contract.RETRIES).toEqual({ type: 'string', default: '3' });
    expect(contract.PORT).toEqual({ type: 'port', default: '3000' });
    expect(JSON.stringify(findings)).not.toContain('postgres');
    expect(findings.find((f) => f.status === 'unmapped')?.from).toBe('.env LOCAL_ONLY');
  });
});

describe('migrations folders', () => {
  it.each([
    [['20240101000000_init.sql'], 'dbmate'],
    [['000001_a.up.sql', '000001_a.down.sql'], 'golang-migrate'],
    [['V1__init.sql', 'V1_1__more.sql', 'R__views.sql'], 'flyway'],
    [['README.md'], undefined],
  ])('a migrations folder of %j is %s', async (names, layout) => {
    const root = await mkdtemp(join(tmpdir(), 'tm-adopt-layout-'));
    try {
      await mkdir(join(root, 'migrations'));
      for (const n of names) await writeFile(join(root, 'migrations', n), '');
      expect(findMigrations(root)?.layout).toBe(layout);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('finds each fixture folder and writes the keys the schema takes', () => {
    expect(findMigrations(join(FIXTURES, 'next-prisma'))).toEqual({ layout: 'prisma', folder: 'prisma', files: 2 });
    expect(findMigrations(join(FIXTURES, 'express-dbmate'))).toEqual({ layout: 'dbmate', folder: 'db/migrations', files: 2 });
    expect(findMigrations(join(FIXTURES, 'go-migrate'))).toEqual({ layout: 'golang-migrate', folder: 'migrations', files: 2 });
    expect(findMigrations(join(FIXTURES, 'flyway'))).toEqual({ layout: 'flyway', folder: 'src/main/resources/db/migration', files: 3 });
    expect(migrationsConfig({ layout: 'prisma', folder: 'prisma', files: 1 })).toEqual({ prisma: 'prisma' });
    expect(migrationsConfig({ layout: 'flyway', folder: 'sql', files: 1 })).toEqual({ migrations: 'sql', layout: 'flyway' });
  });
});

describe('tm init --adopt on the fixture repositories', () => {
  it('Next.js + Prisma: postgres, redis and the mail catcher keep their ports and credentials; the app comes from package.json', async () => {
    const { yml, findings } = await plan('next-prisma');
    expect(yml.services).toEqual({
      postgres: {
        image: 'postgres:15-alpine',
        version: 15,
        port: '${POSTGRES_PORT:-5432}',
        user: 'acme',
        password: '${POSTGRES_PASSWORD:-acme-local-pw}',
        database: 'acme_dev',
      },
      redis: { image: 'redis:7-alpine', port: 6379, persistence: 'aof' },
      mailhog: { kind: 'mailpit', port: 1025, web_port: 8025 },
      'acme-web': { command: 'npm run dev', port: 3000, health: 'http://localhost:3000/api/health', depends_on: ['postgres', 'redis', 'mailhog'] },
    });
    expect(yml.db).toEqual({ prisma: 'prisma' });
    expect(yml.env!.NEXTAUTH_SECRET).toEqual({ type: 'secret', generate: true });
    expect(yml.env!.DATABASE_URL).toEqual({ type: 'postgres-url', required: true });
    expect(findings.find((f) => f.from.endsWith('services.pgadmin'))).toMatchObject({ status: 'unmapped', detail: expect.stringContaining('profile tools') });
  });

  it('Express + dbmate: a literal password is kept as the default of a variable and never shown; the migration tool is left out', async () => {
    const { yml, findings, text } = await plan('express-dbmate');
    expect(yml.services!.db).toMatchObject({
      kind: 'postgres',
      port: 5433,
      user: 'orders',
      database: 'orders',
      password: '${DB_PASSWORD:-orders-compose-literal-pw}',
    });
    expect(yml.services!.api).toEqual({
      build: '.',
      command: 'npm run dev',
      port: 3000,
      health: 'http://localhost:3000/health',
      depends_on: ['db'],
      env: { LOG_LEVEL: '${LOG_LEVEL:-info}' },
    });
    expect(yml.services!.dbmate).toBeUndefined();
    expect(JSON.stringify(findings)).not.toContain('orders-compose-literal-pw');
    expect(text).toContain('orders-compose-literal-pw');
    expect(yml.db).toEqual({ migrations: 'db/migrations' });
  });

  it('Go + golang-migrate: env_file, anchors and long port syntax; the project named by the compose file', async () => {
    const { yml, findings } = await plan('go-migrate');
    expect(yml.name).toBe('ledger');
    expect(yml.services!.postgres).toEqual({
      image: 'postgres:16-alpine',
      version: 16,
      port: '${PG_HOST_PORT:-5434}',
      user: '${POSTGRES_USER}',
      password: '${POSTGRES_PASSWORD}',
      database: '${POSTGRES_DB}',
    });
    expect(yml.services!.api).toEqual({ build: '.', port: 8080, health: 'http://localhost:8080/healthz' });
    expect(yml.db).toEqual({ migrations: 'migrations', layout: 'golang-migrate' });
    expect(findings.some((f) => f.detail.includes('no command'))).toBe(true);
  });

  it('Flyway: ${VAR:?err} becomes a plain reference, a service named for its role gets kind:, an inactive profile is left out', async () => {
    const { yml } = await plan('flyway');
    expect(yml.services).toEqual({
      'inventory-db': {
        kind: 'postgres',
        image: 'postgres:15',
        version: 15,
        port: 5435,
        user: 'inventory',
        password: '${INVENTORY_DB_PASSWORD}',
        database: 'inventory',
      },
      cache: { kind: 'redis', image: 'redis:7.2', port: 6380, persistence: 'rdb' },
    });
    expect(yml.db).toEqual({ migrations: 'src/main/resources/db/migration', layout: 'flyway' });
  });
});

describe('the kinds of the catalog from their images', () => {
  let dir: string;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('maps each image onto its kind with ports and credentials, a variable holding a password becomes a secret, no literal is shown', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-adopt-'));
    await writeFile(
      join(dir, 'compose.yaml'),
      `services:
  cache:
    image: redis:7
    command: ["redis-server", "--requirepass", "\${REDIS_PASSWORD:-devredis}", "--save", ""]
    ports: ["6390:6379"]
  queue:
    image: rabbitmq:3-management
    environment: { RABBITMQ_DEFAULT_USER: app, RABBITMQ_DEFAULT_PASS: "\${MQ_PASS}", RABBITMQ_DEFAULT_VHOST: shop }
    ports: ["5673:5672", "15673:15672"]
  sql:
    image: mariadb:11
    environment: { MARIADB_DATABASE: shop, MARIADB_USER: shop, MARIADB_PASSWORD: shop-pw-literal }
    ports: ["3307:3306"]
  nats:
    image: nats:2.10
    command: "-js --user app --pass nats-pw-literal"
    ports: ["4223:4222", "8223:8222"]
  mail:
    image: maildev/maildev
    ports: ["1026:1025", "1081:1080"]
  search:
    image: docker.elastic.co/elasticsearch/elasticsearch:8.12.0
    environment: [discovery.type=single-node, ES_JAVA_OPTS=-Xms1g -Xmx1g]
    ports: ["9201:9200"]
  web:
    image: nginx:1.25
    ports: ["8088:80"]
    healthcheck: { test: ["CMD", "curl", "-f", "http://localhost:80/healthz"] }
`,
    );
    await writeFile(join(dir, '.env'), 'MQ_PASS=mq-from-env-file-1\n');
    const p = await planAdoption(dir, {});
    const yml = parse(p.text) as { services: Record<string, unknown>; env: Record<string, unknown> };
    expect(yml.services).toEqual({
      cache: { kind: 'redis', image: 'redis:7', port: 6390, password: '${REDIS_PASSWORD:-devredis}', persistence: 'none' },
      queue: { kind: 'rabbitmq', image: 'rabbitmq:3-management', port: 5673, management_port: 15673, user: 'app', password: '${MQ_PASS}', vhost: 'shop' },
      sql: { kind: 'mariadb', image: 'mariadb:11', port: 3307, database: 'shop', user: 'shop', password: '${SQL_PASSWORD:-shop-pw-literal}' },
      nats: { image: 'nats:2.10', port: 4223, monitor_port: 8223, jetstream: true, user: 'app', password: '${NATS_PASSWORD:-nats-pw-literal}' },
      mail: { kind: 'mailpit', port: 1026, web_port: 1081 },
      search: { kind: 'elasticsearch', image: 'docker.elastic.co/elasticsearch/elasticsearch:8.12.0', port: 9201, heap: '1g' },
      web: { kind: 'generic', image: 'nginx:1.25', port: 8088, container_port: 80, health: 'http://localhost:8088/healthz' },
    });
    expect(yml.env).toEqual({ MQ_PASS: { type: 'secret' } });
    const shown = JSON.stringify(p.findings);
    for (const secret of ['devredis', 'mq-from-env-file-1', 'shop-pw-literal', 'nats-pw-literal']) expect(shown).not.toContain(secret);
  });
});

describe('writing and the compose drift', () => {
  let dir: string;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses when taskmaster.yml exists, leaving it as it was', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-adopt-'));
    await cp(join(FIXTURES, 'flyway'), dir, { recursive: true });
    await writeFile(join(dir, 'taskmaster.yml'), 'name: mine\n');
    await expect(adoptProject(dir, {})).rejects.toMatchObject({ code: 'TM_INIT_CLASH', exit: 2 });
    expect(await readFile(join(dir, 'taskmaster.yml'), 'utf8')).toBe('name: mine\n');
  });

  it('refuses a folder with nothing to adopt, writing nothing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-adopt-'));
    await writeFile(join(dir, 'README.md'), '# nothing here\n');
    await expect(adoptProject(dir, {})).rejects.toMatchObject({ code: 'TM_ADOPT_NOTHING', exit: 2 });
    expect((await readdir(dir)).sort()).toEqual(['README.md']);
  });

  it('an adopted project agrees with its compose file; an edit to either shows as a difference, secrets unnamed', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-adopt-'));
    await cp(join(FIXTURES, 'express-dbmate'), dir, { recursive: true });
    await adoptProject(dir, {});
    const drift = async () => (await composeDrift(await loadConfig({ cwd: dir, env: {} }), {}))!.differences;
    expect(await drift()).toEqual([]);

    const yml = await readFile(join(dir, 'taskmaster.yml'), 'utf8');
    await writeFile(join(dir, 'taskmaster.yml'), yml.replace('port: 5433', 'port: 5440').replace('user: orders', 'user: orders2'));
    await writeFile(join(dir, '.env'), `${await readFile(join(dir, '.env'), 'utf8')}DB_PASSWORD=another-password-123\n`);
    const found = await drift();
    expect(found).toEqual([
      'db: ports 5433:5432 in docker-compose.yml, 5440:5432 in taskmaster.yml',
      'db: POSTGRES_USER is orders in docker-compose.yml, orders2 in taskmaster.yml',
      'db: POSTGRES_PASSWORD differs from services.db.password (values not shown)',
    ]);
    expect(found.join('\n')).not.toContain('another-password-123');

    await writeFile(
      join(dir, 'docker-compose.yml'),
      `${await readFile(join(dir, 'docker-compose.yml'), 'utf8')}  extra:\n    image: nginx:1\n`.replace('volumes:\n  db-data:\n', '') +
        'volumes:\n  db-data:\n',
    );
    expect(await drift()).toContain('extra: in docker-compose.yml, not in taskmaster.yml');
  });
});
