import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { databasePerTest } from '../helpers/database.js';
import { TM } from '../helpers/project.js';

// The first `tm db migrate` against a database another tool migrated: fixture repositories in
// the shape of real ones, their databases migrated by that tool (dbmate itself; golang-migrate
// and Flyway as they write their history tables), then handed to tm.

const db = databasePerTest('takeover');
const FIXTURES = resolve(import.meta.dirname, '../fixtures/takeover');
const DBMATE = resolve(import.meta.dirname, '../../node_modules/.bin/dbmate');

const made: string[] = [];
afterEach(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A copy of a fixture repository with a taskmaster.yml pointing at its migrations. */
async function repo(fixture: string, migrations: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `tm-${fixture}-`));
  made.push(dir);
  await cp(join(FIXTURES, fixture), dir, { recursive: true });
  await writeFile(join(dir, 'taskmaster.yml'), `name: ${fixture.replace(/[^a-z]/g, '')}\ndb:\n  migrations: ${migrations}\n`);
  return dir;
}

const tm = (dir: string, ...args: string[]) =>
  execa(process.execPath, [TM, ...args, '--database-url', db.url()], { cwd: dir, reject: false, env: { NO_COLOR: '1' } }).then((r) => ({
    code: r.exitCode,
    stdout: String(r.stdout),
    stderr: String(r.stderr),
  }));

/** Runs `sql` as one query on a connection of its own, as the other tools send a file. */
async function run(sql: string, params: unknown[] = []): Promise<void> {
  const c = new pg.Client(db.url());
  await c.connect();
  try {
    await c.query(sql, params);
  } finally {
    await c.end();
  }
}

const tmHistory = () =>
  db.query<{ version: string; name: string; checksum: string }>('SELECT version, name, checksum FROM tm_schema_migrations ORDER BY applied_at, version');
const tmHistoryExists = async () => (await db.query<{ t: string | null }>(`SELECT to_regclass('tm_schema_migrations')::text AS t`))[0]!.t !== null;
/** Rows in tm's history; 0 when it was not even created. */
const tmRows = async () => ((await tmHistoryExists()) ? (await tmHistory()).length : 0);
const sha256 = (text: string) => createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex');

describe('an Express project whose migrations dbmate applied', () => {
  const migrateWithDbmate = (dir: string) =>
    execa(DBMATE, ['--url', db.url(undefined, '?sslmode=disable'), '--migrations-dir', 'db/migrations', '--no-dump-schema', 'up'], { cwd: dir });

  it('imports dbmate history once, runs only the new migration, and shows 0 pending after', async () => {
    const dir = await repo('express-dbmate', 'db/migrations');
    await migrateWithDbmate(dir);
    // dbmate's history, as the real dbmate wrote it: one column, one row per file.
    const cols = await db.query<{ c: string }>(`SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'schema_migrations'`);
    expect(cols.map((r) => r.c)).toEqual(['version']);
    // Work that came after adopting tm.
    const phone = '20240301100000_add_customer_phone.sql';
    await writeFile(
      join(dir, 'db/migrations', phone),
      '-- migrate:up\nALTER TABLE customers ADD COLUMN phone text;\n\n-- migrate:down\nALTER TABLE customers DROP COLUMN phone;\n',
    );

    const before = await tm(dir, 'db', 'status', '--json');
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout)).toMatchObject({ applied: 3, pending: 1, takeover: { from: 'dbmate', table: 'schema_migrations' } });
    expect(before.stderr).toContain('tm db migrate will take over the history of dbmate (schema_migrations)');

    const dry = await tm(dir, 'db', 'migrate', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      '-- would take over the history of dbmate (schema_migrations): 3 applied migrations recorded in tm_schema_migrations: 20240105093000, 20240112141500, 20240120080000',
    );
    expect(dry.stdout).toContain(`-- db/migrations/${phone}\nALTER TABLE customers ADD COLUMN phone text;`);
    expect(dry.stdout).not.toContain('CREATE TABLE customers');
    expect(await tmHistoryExists()).toBe(false);

    const first = await tm(dir, 'db', 'migrate');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('took over the history of dbmate (schema_migrations): 3 applied migrations recorded in tm_schema_migrations');
    expect(first.stdout).toBe('applied 1 migration');
    const files = (await readdir(join(dir, 'db/migrations'))).sort();
    const texts = await Promise.all(files.map((f) => readFile(join(dir, 'db/migrations', f), 'utf8')));
    // Today's checksums of the files, as tm records its own.
    expect(await tmHistory()).toEqual(files.map((f, i) => ({ version: f.split('_')[0], name: f.replace(/^\d+_|\.sql$/g, ''), checksum: sha256(texts[i]!) })));
    // dbmate's table is read, never changed.
    expect((await db.query('SELECT version FROM schema_migrations')).length).toBe(3);

    const again = await tm(dir, 'db', 'migrate');
    expect(again).toMatchObject({ code: 0, stdout: 'database is up to date' });
    expect(again.stderr).not.toContain('took over');
    const status = await tm(dir, 'db', 'status', '--exit-code');
    expect(status.code, status.stdout).toBe(0);
    expect(status.stdout).toContain('4 applied, 0 pending');
    expect(status.stderr).not.toContain('take over');
  });

  it('four runners at once: one imports, none runs a migration twice', async () => {
    const dir = await repo('express-dbmate', 'db/migrations');
    await migrateWithDbmate(dir);
    const runs = await Promise.all([1, 2, 3, 4].map(() => tm(dir, 'db', 'migrate')));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(runs.filter((r) => r.stderr.includes('took over the history of dbmate')).length).toBe(1);
    expect(runs.every((r) => r.stdout === 'database is up to date')).toBe(true);
    expect((await tmHistory()).length).toBe(3);
  });
});

describe('a Go project whose migrations golang-migrate applied', () => {
  const dirOf = () => repo('go-migrate', 'db/migrations');

  /** What `migrate up` does per file: mark the version dirty, run the file as one query, mark it clean. */
  async function golangMigrateUp(dir: string, upTo: number, failOn?: { version: number; sql: string }) {
    await run('CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null)');
    const ups = (await readdir(join(dir, 'db/migrations'))).filter((f) => f.endsWith('.up.sql')).sort();
    for (const f of ups) {
      const version = Number(f.split('_')[0]);
      if (version > upTo) break;
      await run('BEGIN; TRUNCATE schema_migrations; INSERT INTO schema_migrations (version, dirty) VALUES ($1, true); COMMIT;'.replace('$1', String(version)));
      const sql = failOn?.version === version ? failOn.sql : await readFile(join(dir, 'db/migrations', f), 'utf8');
      if (failOn?.version === version) {
        await expect(run(sql)).rejects.toThrow();
        return;
      }
      await run(sql);
      await run(`BEGIN; TRUNCATE schema_migrations; INSERT INTO schema_migrations (version, dirty) VALUES (${version}, false); COMMIT;`);
    }
  }

  it('imports every version up to the recorded one, applies the rest, rolls back with the down file', async () => {
    const dir = await dirOf();
    await golangMigrateUp(dir, 2);
    const r = await tm(dir, 'db', 'migrate', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      applied: [{ version: '3', name: 'add_products_price', path: 'db/migrations/000003_add_products_price.up.sql' }],
      takeover: { from: 'golang-migrate', table: 'schema_migrations', imported: ['1', '2'], without_file: [] },
    });
    expect((await tmHistory()).map((h) => [h.version, h.name])).toEqual([
      ['1', 'create_products'],
      ['2', 'create_stock'],
      ['3', 'add_products_price'],
    ]);
    expect((await tm(dir, 'db', 'status', '--exit-code')).stdout).toContain('3 applied, 0 pending');
    // The down file, run by tm.
    expect((await tm(dir, 'db', 'rollback')).code).toBe(0);
    expect(await db.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'products' AND column_name = 'price_cents'`)).toEqual([]);
  });

  it('builds a fresh database from the pairs, files wrapped in BEGIN/COMMIT included', async () => {
    const dir = await dirOf();
    const r = await tm(dir, 'db', 'migrate');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('applied 3 migrations');
    expect(r.stderr).not.toContain('took over');
    expect((await db.query(`SELECT to_regclass('stock')::text AS t`))[0]).toEqual({ t: 'stock' });
    // Rolling back the wrapped file runs its inside in tm's own transaction, and records it.
    expect((await tm(dir, 'db', 'rollback', '--steps', '2')).code).toBe(0);
    expect((await db.query(`SELECT to_regclass('stock')::text AS t`))[0]).toEqual({ t: null });
    expect((await tmHistory()).map((h) => h.version)).toEqual(['1']);
  });

  it('refuses a dirty version with the fix, importing and running nothing', async () => {
    const dir = await dirOf();
    await golangMigrateUp(dir, 3, { version: 3, sql: 'ALTER TABLE products ADD COLUMN price_cents INTEGER NOT NULL DEFAULT; -- a typo' });
    expect(await db.query('SELECT version::int, dirty FROM schema_migrations')).toEqual([{ version: 3, dirty: true }]);
    const r = await tm(dir, 'db', 'migrate');
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(
      "TM_HISTORY_DIRTY golang-migrate's schema_migrations says migration 3 (db/migrations/000003_add_products_price.up.sql) is dirty: it failed part-way; nothing was imported or run",
    );
    expect(r.stderr).toContain('migrate force 3 if it is now fully applied, or migrate force 2 to run it again');
    expect(await tmRows()).toBe(0);
    expect((await tm(dir, 'db', 'migrate', '--dry-run')).code).toBe(6);

    // The fix the hint gives: golang-migrate's `force 2`, then tm runs 3 itself.
    await run('UPDATE schema_migrations SET version = 2, dirty = false');
    const fixed = await tm(dir, 'db', 'migrate');
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toBe('applied 1 migration');
  });
});

describe('a Flyway project', () => {
  const dirOf = () => repo('flyway', 'src/main/resources/db/migration');
  const MIGRATIONS = 'src/main/resources/db/migration';

  /** Flyway's checksum: CRC32 of the script's lines, without their line breaks, as a signed int. */
  const flywayChecksum = (text: string) =>
    crc32(
      text
        .replace(/^\uFEFF/, '')
        .split(/\r?\n|\r/)
        .join(''),
    ) | 0;

  /** What `flyway migrate` leaves: its table as it creates it on PostgreSQL, a row per script it ran. */
  async function flywayMigrate(dir: string, scripts: string[], opts: { fail?: string; baseline?: string } = {}) {
    await run(`CREATE TABLE "flyway_schema_history" (
        "installed_rank" INT NOT NULL, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL,
        "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INT,
        "installed_by" VARCHAR(100) NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
        "execution_time" INT NOT NULL, "success" BOOLEAN NOT NULL,
        CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank"));
      CREATE INDEX "flyway_schema_history_s_idx" ON "flyway_schema_history" ("success");`);
    let rank = 1;
    const insert = 'INSERT INTO flyway_schema_history VALUES ($1, $2, $3, $4, $5, $6, current_user, now(), $7, $8)';
    if (opts.baseline) await run(insert, [rank++, opts.baseline, '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', null, 0, true]);
    for (const script of scripts) {
      const m = /^V([\d_.]+)__(.+)\.sql$/.exec(script)!;
      const text = await readFile(join(dir, MIGRATIONS, script), 'utf8');
      const ok = script !== opts.fail;
      if (ok) await run(text);
      await run(insert, [rank++, m[1]!.replaceAll('_', '.'), m[2]!.replaceAll('_', ' '), 'SQL', script, flywayChecksum(text), 12, ok]);
    }
  }

  it('imports the versions Flyway ran (dotted ones too), applies the rest, undoes with the U file', async () => {
    const dir = await dirOf();
    await flywayMigrate(dir, ['V1__Create_accounts.sql', 'V1_1__Add_account_currency.sql']);
    // Edited after Flyway applied it (Flyway's own validate would stop here): said, then recorded as it is now.
    const edited = join(dir, MIGRATIONS, 'V1_1__Add_account_currency.sql');
    await writeFile(edited, `-- currency: ISO 4217\n${await readFile(edited, 'utf8')}`);
    const dry = await tm(dir, 'db', 'migrate', '--dry-run', '--json');
    expect(JSON.parse(dry.stdout)).toMatchObject({
      applied: [],
      dry_run: [{ version: '2', name: 'Create_entries' }],
      takeover: { from: 'flyway', table: 'flyway_schema_history', imported: ['1', '1.1'], changed_since: [`${MIGRATIONS}/V1_1__Add_account_currency.sql`] },
    });
    expect(await tmHistoryExists()).toBe(false);

    const r = await tm(dir, 'db', 'migrate');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('took over the history of flyway (flyway_schema_history): 2 applied migrations recorded in tm_schema_migrations');
    expect(r.stderr).toContain(`${MIGRATIONS}/V1_1__Add_account_currency.sql was edited after flyway applied it`);
    expect(r.stderr).not.toContain('V1__Create_accounts.sql was edited');
    expect(r.stdout).toBe('applied 1 migration');
    expect((await tmHistory()).map((h) => h.version)).toEqual(['1', '1.1', '2']);
    const status = await tm(dir, 'db', 'status', '--exit-code');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('3 applied, 0 pending');

    expect((await tm(dir, 'db', 'rollback')).code).toBe(0);
    expect((await db.query(`SELECT to_regclass('entries')::text AS t`))[0]).toEqual({ t: null });
  });

  it('a baseline stands for every version up to its own', async () => {
    const dir = await dirOf();
    // A database that existed before Flyway: its tables made by hand, then `flyway baseline -baselineVersion=1.1`.
    await run(await readFile(join(dir, MIGRATIONS, 'V1__Create_accounts.sql'), 'utf8'));
    await run(await readFile(join(dir, MIGRATIONS, 'V1_1__Add_account_currency.sql'), 'utf8'));
    await flywayMigrate(dir, [], { baseline: '1.1' });
    const r = await tm(dir, 'db', 'migrate', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ applied: [{ version: '2' }], takeover: { imported: ['1', '1.1'] } });
  });

  it('refuses a failed row with the fix', async () => {
    const dir = await dirOf();
    await flywayMigrate(dir, ['V1__Create_accounts.sql', 'V1_1__Add_account_currency.sql'], { fail: 'V1_1__Add_account_currency.sql' });
    const r = await tm(dir, 'db', 'migrate');
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(
      "TM_HISTORY_FAILED Flyway's flyway_schema_history records version 1.1 (V1_1__Add_account_currency.sql) as failed (success = false); nothing was imported or run",
    );
    expect(r.stderr).toContain('flyway repair, or DELETE FROM flyway_schema_history WHERE installed_rank = 2');
    expect(await tmRows()).toBe(0);
  });

  it('refuses repeatable R__ scripts, naming them', async () => {
    const dir = await dirOf();
    await writeFile(join(dir, MIGRATIONS, 'R__Account_balances.sql'), 'CREATE OR REPLACE VIEW balances AS SELECT 1 AS x;\n');
    const r = await tm(dir, 'db', 'migrate');
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(`TM_MIGRATION_UNSUPPORTED tm does not run Flyway's repeatable migrations: ${MIGRATIONS}/R__Account_balances.sql`);
    expect(r.stderr).toContain('turn each into a versioned migration');
  });
});

it("a Prisma project's history is tm's own: nothing is imported and nothing runs again", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tm-prisma-'));
  made.push(dir);
  const sql = 'CREATE TABLE "User" ("id" SERIAL NOT NULL, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));\n';
  await writeFile(join(dir, 'taskmaster.yml'), 'name: prismaapp\n');
  const folder = join(dir, 'prisma/migrations/20240101000000_init');
  await mkdir(folder, { recursive: true });
  await writeFile(join(dir, 'prisma/schema.prisma'), 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n');
  await writeFile(join(dir, 'prisma/migrations/migration_lock.toml'), 'provider = "postgresql"\n');
  await writeFile(join(folder, 'migration.sql'), sql);
  // What `prisma migrate deploy` leaves.
  await run(sql);
  await run(`CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ,
    migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count INTEGER NOT NULL DEFAULT 0)`);
  await run(`INSERT INTO _prisma_migrations VALUES ('0b7c9a44-5f5e-4a51-9d3b-3a3c5b0f6d11', $1, now(), '20240101000000_init', NULL, NULL, now(), 1)`, [
    createHash('sha256').update(sql).digest('hex'),
  ]);
  const r = await tm(dir, 'db', 'migrate');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toBe('database is up to date');
  expect(r.stderr).not.toContain('took over');
  expect(await tmHistoryExists()).toBe(false);
});
