import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/load.js';
import { nameTag } from '../../src/db/admin/databases.js';
import { resetDatabase } from '../../src/db/admin/reset.js';
import type { DatabaseTarget } from '../../src/db/connect.js';
import { checkDrift } from '../../src/db/drift/drift.js';
import { formatDifference } from '../../src/db/drift/format.js';
import { openMigrations } from '../../src/db/migrations/layouts.js';
import { seed } from '../../src/db/seeds/seed.js';
import { databasePerTest } from '../helpers/database.js';

// tm db drift's comparison against real PostgreSQL: a live database migrated from files, then
// changed by hand one kind of object at a time; each change must be found, and only it.
const server = databasePerTest('drift');
let base: Config;
let config: Config;
let target: DatabaseTarget;

/** A schema with one object of every kind compared. */
const SCHEMA = `-- migrate:up
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SCHEMA audit;
CREATE TYPE status AS ENUM ('todo', 'doing', 'done');
CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  total numeric(10,2) NOT NULL DEFAULT 0,
  state status NOT NULL DEFAULT 'todo',
  CONSTRAINT orders_total_check CHECK (total >= 0)
);
CREATE INDEX orders_user_idx ON orders (user_id);
CREATE TABLE audit.events (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 100;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.created_at = now(); RETURN NEW; END $$;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
`;

/** This test's migrations folder holding `files`, and the config that reads it. */
async function migrations(files: Record<string, string>): Promise<void> {
  const dir = join(server.project().dir, `migrations-${server.db()}`);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  config = { ...base, db: { ...base.db, migrations: `migrations-${server.db()}` } };
}

const drift = (opts: Parameters<typeof checkDrift>[2] = {}) => checkDrift(config, target, opts);
const scratchDatabases = async () =>
  (await server.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'tm\\_drift\\_%' ORDER BY 1`, 'postgres')).map((r) => r.datname);

beforeAll(async () => {
  base = await loadConfig({ cwd: server.project().dir });
});
beforeEach(async () => {
  target = { url: server.url(), source: '--database-url' };
});

describe('the live schema against the migrations, kind by kind', () => {
  beforeEach(async () => {
    await migrations({ '001_schema.sql': SCHEMA });
    await (await openMigrations(config)).migrate(target);
  });

  it('finds nothing on a database migrated from the files, and reads every kind', async () => {
    const report = await drift();
    expect(report.differences).toEqual([]);
    expect(report.pending).toBe(0);
    expect(report.expected).toEqual({ from: 'files', applied: 1 });
    // Every kind was read on both sides (a query that returned nothing would count 0).
    for (const [kind, n] of Object.entries(report.compared)) expect(n, kind).toBeGreaterThan(0);
    expect(await scratchDatabases()).toEqual([]);
  });

  const cases: [string, string, Record<string, unknown>[]][] = [
    ['extension', 'DROP EXTENSION pgcrypto', [{ kind: 'extension', name: 'pgcrypto', expected: expect.stringMatching(/^version [\d.]+ in schema public$/) }]],
    ['schema', 'CREATE SCHEMA scratchpad', [{ kind: 'schema', name: 'scratchpad', live: '' }]],
    [
      'enum',
      "ALTER TYPE status ADD VALUE 'archived'",
      [{ kind: 'enum', name: 'status', live: '[todo, doing, done, archived]', expected: '[todo, doing, done]' }],
    ],
    ['table', 'CREATE TABLE notes (id int, body text)', [{ kind: 'table', name: 'notes', live: 'table, 2 columns' }]],
    ['table in another schema', 'DROP TABLE audit.events', [{ kind: 'table', name: 'audit.events', expected: 'table, 2 columns' }]],
    ['column added', 'ALTER TABLE orders ADD COLUMN note text', [{ kind: 'column', name: 'orders.note', live: 'text null' }]],
    [
      'column type, nullability and default',
      'ALTER TABLE orders ALTER COLUMN total DROP NOT NULL, ALTER COLUMN total SET DEFAULT 5, ALTER COLUMN state TYPE text',
      [
        { kind: 'column', name: 'orders.state', live: "text not null default 'todo'::status", expected: "status not null default 'todo'::status" },
        { kind: 'column', name: 'orders.total', live: 'numeric(10,2) null default 5', expected: 'numeric(10,2) not null default 0' },
      ],
    ],
    [
      'identity column',
      'ALTER TABLE audit.events ALTER COLUMN id SET GENERATED BY DEFAULT',
      [
        {
          kind: 'column',
          name: 'audit.events.id',
          live: 'integer not null generated by default as identity',
          expected: 'integer not null generated always as identity',
        },
      ],
    ],
    [
      'constraint',
      'ALTER TABLE orders DROP CONSTRAINT orders_total_check, ADD CONSTRAINT orders_total_check CHECK (total > 0)',
      [{ kind: 'constraint', name: 'orders_total_check on orders', live: 'CHECK ((total > (0)::numeric))', expected: 'CHECK ((total >= (0)::numeric))' }],
    ],
    [
      'constraint dropped',
      'ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey',
      [{ kind: 'constraint', name: 'orders_user_id_fkey on orders', expected: 'FOREIGN KEY (user_id) REFERENCES users(id)' }],
    ],
    ['index dropped', 'DROP INDEX orders_user_idx', [{ kind: 'index', name: 'orders_user_idx on orders', expected: 'btree (user_id)' }]],
    [
      'index redefined',
      'DROP INDEX orders_user_idx; CREATE UNIQUE INDEX orders_user_idx ON orders (user_id, id) WHERE total > 0',
      [{ kind: 'index', name: 'orders_user_idx on orders', live: 'unique btree (user_id, id) WHERE (total > (0)::numeric)', expected: 'btree (user_id)' }],
    ],
    [
      'view',
      'CREATE OR REPLACE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 1000',
      [{ kind: 'view', name: 'big_orders', live: expect.stringContaining('> (1000)::numeric'), expected: expect.stringContaining('> (100)::numeric') }],
    ],
    [
      'function body',
      'CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.created_at = clock_timestamp(); RETURN NEW; END $$',
      [
        {
          kind: 'function',
          name: 'touch()',
          live: expect.stringMatching(/^returns trigger language plpgsql volatile body md5 \w{12}$/),
          expected: expect.stringMatching(/body md5/),
        },
      ],
    ],
    [
      'function attributes',
      'ALTER FUNCTION touch() SECURITY DEFINER',
      [
        {
          kind: 'function',
          name: 'touch()',
          live: expect.stringContaining('volatile security definer body md5'),
          expected: expect.not.stringContaining('security definer'),
        },
      ],
    ],
    [
      'trigger disabled',
      'ALTER TABLE users DISABLE TRIGGER users_touch',
      [
        {
          kind: 'trigger',
          name: 'users_touch on users',
          live: 'BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION touch() (disabled)',
          expected: 'BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION touch()',
        },
      ],
    ],
    [
      'trigger dropped',
      'DROP TRIGGER users_touch ON users',
      [{ kind: 'trigger', name: 'users_touch on users', expected: expect.stringContaining('BEFORE UPDATE') }],
    ],
  ];

  it.each(cases)('%s: found, and nothing else', async (_, change, found) => {
    await server.query(change);
    const report = await drift();
    expect(report.differences).toEqual(found.map((f) => expect.objectContaining(f)));
    // An object one side lacks has no definition on that side at all.
    report.differences.forEach((d, i) => {
      for (const side of ['live', 'expected'] as const) if (!(side in found[i]!)) expect(d).not.toHaveProperty(side);
    });
    expect(await scratchDatabases()).toEqual([]);
  });

  it('prints each difference as one line: what, where, live against the migrations', async () => {
    await server.query('ALTER TABLE orders ADD COLUMN note text; DROP INDEX orders_user_idx');
    expect((await drift()).differences.map(formatDifference)).toEqual([
      'column orders.note: live has it (text null), migrations do not',
      'index orders_user_idx on orders: migrations have it (btree (user_id)), live does not',
    ]);
  });

  it("ignores tm's bookkeeping: the migration history and the record of seeds", async () => {
    const seeds = join(server.project().dir, `seeds-${server.db()}`);
    await mkdir(seeds, { recursive: true });
    await writeFile(join(seeds, '01.sql'), "INSERT INTO users (email) VALUES ('a@example.com');");
    config = { ...config, db: { ...config.db, seeds: `seeds-${server.db()}` } };
    expect((await seed(config, target, { env: 'development' })).ran).toHaveLength(1);
    expect((await server.query<{ t: string }>("SELECT to_regclass('tm_seeds')::text AS t"))[0]!.t).toBe('tm_seeds');
    expect((await drift()).differences).toEqual([]);
  });

  it('counts migrations not applied yet, whose changes show as differences', async () => {
    await migrations({ '002_notes.sql': '-- migrate:up\nCREATE TABLE notes (id int);\n' });
    const report = await drift();
    expect(report.pending).toBe(1);
    expect(report.differences).toEqual([{ kind: 'table', name: 'notes', expected: 'table, 1 column' }]);
  });
});

describe('where the expected schema comes from', () => {
  beforeEach(async () => {
    await migrations({ '001_schema.sql': SCHEMA });
  });

  it("starts from reset's cached template, and applies only the files it lacks", async () => {
    await resetDatabase(config, target, { env: 'development' });
    const tag = nameTag(server.db());
    const templates = await server.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'tm\\_tpl\\_${tag}\\_%'`, 'postgres');
    expect(templates).toHaveLength(1);
    const first = await drift();
    expect(first.expected).toEqual({ from: 'template', template: templates[0]!.datname, applied: 0 });
    expect(first.differences).toEqual([]);

    await migrations({ '002_notes.sql': '-- migrate:up\nCREATE TABLE notes (id int);\n' });
    await (await openMigrations(config)).migrate(target);
    const second = await drift();
    expect(second.expected).toEqual({ from: 'template', template: templates[0]!.datname, applied: 1 });
    expect(second.differences).toEqual([]);
    expect(await scratchDatabases()).toEqual([]);
  });

  it("builds from the files when the template's history does not lead to them (a file edited since)", async () => {
    await resetDatabase(config, target, { env: 'development' });
    await migrations({ '001_schema.sql': SCHEMA.replace('total > 100', 'total > 200') });
    const report = await drift();
    expect(report.expected).toEqual({ from: 'files', applied: 1 });
    // The live database has the file as it was applied: the edit is the drift.
    expect(report.differences).toEqual([expect.objectContaining({ kind: 'view', name: 'big_orders' })]);
    expect(await scratchDatabases()).toEqual([]);
  });
});

describe('the scratch database never stays behind', () => {
  beforeEach(async () => {
    await migrations({
      '001_slow.sql': '-- migrate:up\nCREATE TABLE a (id int);\nSELECT pg_sleep(1.5);\n',
      '002_more.sql': '-- migrate:up\nCREATE TABLE b (id int);\n',
    });
    await (await openMigrations(config)).migrate(target);
  });

  it('is dropped when the run is aborted while migrating it (Ctrl-C)', async () => {
    const controller = new AbortController();
    const running = drift({ signal: controller.signal }).then(
      () => new Error('finished'),
      (err: Error) => err,
    );
    // Abort once the scratch database exists (its first file is sleeping).
    for (let i = 0; i < 200 && (await scratchDatabases()).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await scratchDatabases()).toHaveLength(1);
    controller.abort(new Error('interrupted'));
    expect((await running).message).toBe('interrupted');
    expect(await scratchDatabases()).toEqual([]);
  });

  it('drops one a killed run left, and leaves alone one whose run is still going', async () => {
    const prefix = `tm_drift_${nameTag(server.db())}_`;
    const orphan = `${prefix}0rphan00`;
    const busy = `${prefix}busy0000`;
    for (const name of [orphan, busy]) await server.query(`CREATE DATABASE ${name}`, 'postgres');
    // A run that is going holds its scratch database's lock: this session plays it.
    const holder = new pg.Client(server.url('postgres'));
    await holder.connect();
    try {
      const { createHash } = await import('node:crypto');
      const key = BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update(`tm drift ${busy}`).digest('hex').slice(0, 16)}`)).toString();
      await holder.query('SELECT pg_advisory_lock($1)', [key]);
      expect((await drift()).differences).toEqual([]);
      expect(await scratchDatabases()).toEqual([busy]);
    } finally {
      await holder.end();
      await server.query(`DROP DATABASE IF EXISTS ${busy}`, 'postgres');
    }
  });
});

describe('Prisma projects and ?schema=', () => {
  it('compares a Prisma project, leaving out _prisma_migrations', async () => {
    const dir = join(server.project().dir, `prisma-${server.db()}`);
    await mkdir(join(dir, 'migrations', '20240101000000_init'), { recursive: true });
    await writeFile(join(dir, 'migrations', 'migration_lock.toml'), 'provider = "postgresql"\n');
    await writeFile(
      join(dir, 'migrations', '20240101000000_init', 'migration.sql'),
      'CREATE TABLE "User" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\nCREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n',
    );
    config = { ...base, db: { ...base.db, prisma: `prisma-${server.db()}` } };
    const layout = await openMigrations(config);
    expect(layout.format).toBe('prisma');
    await layout.migrate(target);
    expect((await drift()).differences).toEqual([]);
    await server.query('DROP INDEX "User_email_key"; ALTER TABLE "User" ADD COLUMN "name" TEXT');
    expect((await drift()).differences.map(formatDifference)).toEqual([
      'column User.name: live has it (text null), migrations do not',
      'index User_email_key on User: migrations have it (unique btree (email)), live does not',
    ]);
  });

  it('with ?schema= compares that schema only', async () => {
    await migrations({ '001_items.sql': '-- migrate:up\nCREATE TABLE items (id int PRIMARY KEY, name text);\n' });
    target = { url: server.url(server.db(), '?schema=app'), source: '--database-url' };
    await (await openMigrations(config)).migrate(target);
    // Another project's schema in the same database is not this one's drift.
    await server.query('CREATE SCHEMA other; CREATE TABLE other.theirs (v int); CREATE TABLE public.shared (v int)');
    expect((await drift()).differences).toEqual([]);
    await server.query('ALTER TABLE app.items DROP COLUMN name');
    const report = await drift();
    expect(report.schema).toBe('app');
    expect(report.differences.map(formatDifference)).toEqual(['column items.name: migrations have it (text null), live does not']);
  });
});
