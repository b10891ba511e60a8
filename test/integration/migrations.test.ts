import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/load.js';
import { migrate, migrationStatus, newMigration, readMigrations, redo, rollback } from '../../src/db/migrations/dbmate.js';
import type { DatabaseTarget } from '../../src/db/connect.js';
import { NativeRuntime } from '../../src/runtime/native/runtime.js';
import { down } from '../../src/stack/down.js';
import { up } from '../../src/stack/up.js';
import { tempProject, TM, type TempProject } from '../helpers/project.js';

// Real PostgreSQL; every test gets its own database and migrations folder.
let project: TempProject;
let config: Config;
let runtime: NativeRuntime;
let admin: pg.Client;
let n = 0;
let db: string;
let target: DatabaseTarget;
let dir: string;

const urlOf = (name: string) => `postgres://mig_user:pw-mig-secret@127.0.0.1:${project.pgPort}/${name}`;

beforeAll(async () => {
  project = await tempProject({ name: 'mig' });
  config = await loadConfig({ cwd: project.dir });
  runtime = new NativeRuntime(config);
  await up(config, runtime, config.services, { timeoutMs: 60_000 });
  admin = new pg.Client(urlOf('mig_db'));
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  if (runtime) await down(runtime, config.services, { volumes: true });
  await project?.cleanup();
});

beforeEach(async () => {
  db = `t${n++}`;
  await admin.query(`CREATE DATABASE ${db}`);
  target = { url: urlOf(db), source: '--database-url' };
  dir = join(project.dir, `migrations-${db}`);
  await mkdir(dir);
  config = { ...config, db: { ...config.db, migrations: `migrations-${db}` } };
});

async function file(name: string, text: string) {
  await writeFile(join(dir, name), text);
}
async function query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const c = new pg.Client(urlOf(db));
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}
const tables = async () => (await query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map((r) => r.t);
const cli = (args: string[], opts: { timeout?: number } = {}) =>
  execa(process.execPath, [TM, ...args, '--database-url', urlOf(db)], {
    cwd: project.dir,
    reject: false,
    env: { NO_COLOR: '1' },
    timeout: opts.timeout ?? 60_000,
  }).then((r) => ({
    code: r.exitCode,
    stdout: String(r.stdout),
    stderr: String(r.stderr),
  }));
const withMigrationsDir = async () => {
  // The CLI reads db.migrations from taskmaster.yml.
  const yml = await readFile(join(project.dir, 'taskmaster.yml'), 'utf8');
  await writeFile(join(project.dir, 'taskmaster.yml'), `${yml.replace(/\ndb:\n {2}migrations: .*\n/, '\n')}db:\n  migrations: migrations-${db}\n`);
};

const three = async () => {
  await file('001_a.sql', '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n');
  await file('002_b.sql', '-- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\nDROP TABLE b;\n');
  await file('003_c.sql', '-- migrate:up\nCREATE TABLE c (id int);\n-- migrate:down\nDROP TABLE c;\n');
};

describe('apply, roll back, redo', () => {
  it('applies in numeric version order, exactly once, and records history', async () => {
    await file('10_ten.sql', 'CREATE TABLE ten (id int);');
    await file('9_nine.sql', 'CREATE TABLE nine (id int); INSERT INTO nine VALUES (9);');
    const r = await migrate(config, target);
    expect(r.applied.map((a) => a.version)).toEqual(['9', '10']);
    expect((await migrate(config, target)).applied).toEqual([]);
    const history = await query<{ version: string; checksum: string; duration_ms: number }>('SELECT * FROM tm_schema_migrations ORDER BY applied_at');
    expect(history.map((h) => h.version)).toEqual(['9', '10']);
    expect(history[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('--to, rollback (one, --steps, --to) and redo', async () => {
    await three();
    expect((await migrate(config, target, { to: '2' })).applied.map((a) => a.version)).toEqual(['1', '2']);
    expect(await tables()).toEqual(['a', 'b', 'tm_schema_migrations']);
    await migrate(config, target);
    expect((await rollback(config, target)).map((a) => a.version)).toEqual(['3']);
    expect(await tables()).toEqual(['a', 'b', 'tm_schema_migrations']);
    await migrate(config, target);
    expect((await rollback(config, target, { steps: 2 })).map((a) => a.version)).toEqual(['3', '2']);
    await migrate(config, target);
    expect((await rollback(config, target, { to: '1' })).map((a) => a.version)).toEqual(['3', '2']);
    await migrate(config, target);
    await query('INSERT INTO c VALUES (1)');
    expect((await redo(config, target)).map((a) => a.version)).toEqual(['3']);
    expect(await query('SELECT * FROM c')).toEqual([]); // dropped and created again
  });

  it('refuses to roll back a file without a down section', async () => {
    await file('1_up_only.sql', 'CREATE TABLE only_up (id int);');
    await migrate(config, target);
    await expect(rollback(config, target)).rejects.toMatchObject({ code: 'TM_ROLLBACK_REFUSED', exit: 6 });
    expect(await tables()).toContain('only_up');
  });

  it('status warns about an .sql file without a version prefix, which is never applied', async () => {
    await file('1_a.sql', 'CREATE TABLE a (id int);');
    await file('create_b.sql', 'CREATE TABLE b (id int);');
    const { openMigrations } = await import('../../src/db/migrations/layouts.js');
    const report = await (await openMigrations(config)).status(target);
    expect(report.rows.map((r) => r.name)).toEqual(['a']);
    expect(report.warnings).toEqual([expect.stringMatching(/^create_b\.sql is not applied: a migration's name starts with its version/)]);
  });

  it('status shows pending; --exit-code exits 1 while pending and 0 after', async () => {
    await three();
    await withMigrationsDir();
    await migrate(config, target, { to: '1' });
    const st = await migrationStatus(config, target);
    expect(st.map((s) => s.state)).toEqual(['applied', 'pending', 'pending']);
    const r = await cli(['db', 'status', '--exit-code', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ applied: 1, pending: 2 });
    expect((await cli(['db', 'migrate'])).code).toBe(0);
    expect((await cli(['db', 'status', '--exit-code'])).code).toBe(0);
  });
});

describe('integrity: refused before any SQL runs', () => {
  it('an edited applied file (both checksums shown), then tm db repair', async () => {
    await file('1_a.sql', 'CREATE TABLE a (id int);');
    await migrate(config, target);
    await file('1_a.sql', 'CREATE TABLE a (id int, x int);');
    await file('2_b.sql', 'CREATE TABLE b (id int);');
    await withMigrationsDir();
    const r = await cli(['db', 'migrate']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/1_a\.sql was edited after it was applied \(recorded sha256 [0-9a-f]{12}…, file now [0-9a-f]{12}…\)/);
    expect(await tables()).not.toContain('b');
    expect((await cli(['db', 'repair'])).code).toBe(0);
    expect((await cli(['db', 'migrate'])).code).toBe(0);
    expect(await tables()).toContain('b');
  });

  it('a missing applied file', async () => {
    await file('1_a.sql', 'CREATE TABLE a (id int);');
    await migrate(config, target);
    await rm(join(dir, '1_a.sql'));
    await file('2_b.sql', 'CREATE TABLE b (id int);');
    await expect(migrate(config, target)).rejects.toMatchObject({
      code: 'TM_MIGRATION_INTEGRITY',
      exit: 6,
      problems: [expect.objectContaining({ message: expect.stringContaining('1_a was applied but its file is gone') })],
    });
    expect(await tables()).not.toContain('b');
  });

  it('a new file older than the newest applied one, then --allow-out-of-order', async () => {
    await file('5_e.sql', 'CREATE TABLE e (id int);');
    await migrate(config, target);
    await file('3_c.sql', 'CREATE TABLE c (id int);');
    await expect(migrate(config, target)).rejects.toMatchObject({ code: 'TM_MIGRATION_INTEGRITY' });
    expect(await tables()).not.toContain('c');
    expect((await migrate(config, target, { allowOutOfOrder: true })).applied.map((a) => a.version)).toEqual(['3']);
  });

  it('a CRLF checkout of the same file is not an edit', async () => {
    await file('1_a.sql', '-- migrate:up\nCREATE TABLE a (id int);\n');
    await migrate(config, target);
    await file('1_a.sql', '-- migrate:up\r\nCREATE TABLE a (id int);\r\n');
    await expect(migrate(config, target)).resolves.toEqual({ applied: [] });
  });
});

describe('a failing statement', () => {
  it('rolls back its file only and names file:line:column (missing table)', async () => {
    await file('1_ok.sql', 'CREATE TABLE ok (id int);');
    await file('2_bad.sql', '-- migrate:up\nCREATE TABLE half (id int);\nINSERT INTO half VALUES (1);\nINSERT INTO nope VALUES (1);\n');
    await withMigrationsDir();
    const r = await cli(['db', 'migrate']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('error TM_MIGRATION_FAILED migration 2_bad failed and was rolled back');
    expect(r.stderr).toMatch(new RegExp(`migrations-${db}/2_bad\\.sql:4:13 relation "nope" does not exist`));
    expect(await tables()).toEqual(['ok', 'tm_schema_migrations']);
    expect((await query('SELECT version FROM tm_schema_migrations')).length).toBe(1);
  });

  it('names the line of a runtime error that has no server position (division by zero, unique violation)', async () => {
    await file('1_div.sql', '-- a comment\nCREATE TABLE d (id int PRIMARY KEY);\nINSERT INTO d VALUES (1);\n\nSELECT 1 / 0;\n');
    await expect(migrate(config, target)).rejects.toMatchObject({
      problems: [expect.objectContaining({ line: 5, message: expect.stringContaining('division by zero') })],
    });
    await rm(join(dir, '1_div.sql'));
    await file('1_dup.sql', 'CREATE TABLE u (id int PRIMARY KEY);\nINSERT INTO u VALUES (1);\nINSERT INTO u VALUES (2);\nINSERT INTO u\n  VALUES (1);\n');
    await expect(migrate(config, target)).rejects.toMatchObject({
      problems: [expect.objectContaining({ line: 4, message: expect.stringContaining('duplicate key') })],
    });
    expect(await tables()).toEqual(['tm_schema_migrations']); // nothing of either file remains
  });
});

it('applies dollar quotes, DO blocks, semicolons in strings, comments and quoted identifiers', async () => {
  await file(
    '1_tricky.sql',
    `-- migrate:up
/* a block comment; with /* a nested one; */ still comment */
CREATE TABLE "semi;colon" ("a;b" text); -- trailing; comment
INSERT INTO "semi;colon" VALUES ('it''s; fine'), (E'escaped \\' ; quote');
CREATE FUNCTION add_one(i int) RETURNS int AS $$ SELECT i + 1; $$ LANGUAGE sql;
CREATE FUNCTION shout(t text) RETURNS text AS $body$
BEGIN
  RETURN upper(t) || ';';
END;
$body$ LANGUAGE plpgsql;
DO $$ BEGIN
  INSERT INTO "semi;colon" VALUES ('from do; block');
END $$;
-- migrate:down
DROP TABLE "semi;colon";
`,
  );
  await migrate(config, target);
  expect((await query<{ v: string }>(`SELECT "a;b" AS v FROM "semi;colon" ORDER BY 1`)).map((r) => r.v)).toEqual([
    "escaped ' ; quote",
    'from do; block',
    "it's; fine",
  ]);
  expect((await query<{ v: number }>('SELECT add_one(1) AS v'))[0]!.v).toBe(2);
  expect((await query<{ v: string }>(`SELECT shout('a') AS v`))[0]!.v).toBe('A;');
});

it('runs transaction:false files one statement at a time (CREATE INDEX CONCURRENTLY)', async () => {
  await file('1_t.sql', 'CREATE TABLE big (id int, name text);');
  await file(
    '2_idx.sql',
    '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY big_name ON big (name);\nCREATE INDEX CONCURRENTLY big_id ' +
      'ON big (id);\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY big_name;\nDROP INDEX CONCURRENTLY big_id;\n',
  );
  await migrate(config, target);
  expect((await query<{ i: string }>(`SELECT indexname AS i FROM pg_indexes WHERE tablename = 'big' ORDER BY 1`)).map((r) => r.i)).toEqual([
    'big_id',
    'big_name',
  ]);
  await rollback(config, target);
  expect(await query(`SELECT indexname FROM pg_indexes WHERE tablename = 'big'`)).toEqual([]);
});

it('--dry-run prints the SQL and changes nothing, not even the history table', async () => {
  await file('1_a.sql', '-- migrate:up\nCREATE TABLE dry (id int);\n');
  await withMigrationsDir();
  const r = await cli(['db', 'migrate', '--dry-run']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('CREATE TABLE dry (id int);');
  expect(await tables()).toEqual([]);
});

describe('concurrency and the lock', () => {
  it('8 runners started at once apply every migration exactly once', async () => {
    for (let i = 1; i <= 20; i++) await file(`${i}_m.sql`, `CREATE TABLE IF NOT EXISTS log (v int); INSERT INTO log VALUES (${i});`);
    await withMigrationsDir();
    const results = await Promise.all(Array.from({ length: 8 }, () => cli(['db', 'migrate'])));
    expect(results.map((r) => r.code)).toEqual(Array(8).fill(0));
    expect((await query<{ v: number }>('SELECT v FROM log ORDER BY v')).map((r) => r.v)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await query('SELECT version FROM tm_schema_migrations')).length).toBe(20);
  });

  it('a second runner gives up after --lock-timeout (exit 5) naming the holder', async () => {
    await file('1_slow.sql', 'SELECT pg_sleep(4);');
    await withMigrationsDir();
    const first = cli(['db', 'migrate']);
    await new Promise((r) => setTimeout(r, 1000));
    const second = await cli(['db', 'migrate', '--lock-timeout', '1s']);
    expect(second.code).toBe(5);
    expect(second.stderr).toMatch(/TM_LOCK_TIMEOUT another migration run holds the lock .*tm migrate pid=\d+ host=\S+ since=/);
    expect((await first).code).toBe(0);
  });

  it('a runner killed mid-statement frees the lock; the rerun succeeds within the lock timeout', async () => {
    await file('1_long.sql', 'CREATE TABLE long_one (id int);\nSELECT pg_sleep(30);\n');
    await withMigrationsDir();
    const child = spawn(process.execPath, [TM, 'db', 'migrate', '--database-url', urlOf(db)], { cwd: project.dir, stdio: 'ignore' });
    // Wait until its statement runs on the server.
    for (let i = 0; i < 100; i++) {
      const rows = await query(`SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()`);
      if (rows.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    // Never recorded, so the file may change: make it fast for the rerun.
    await file('1_long.sql', 'CREATE TABLE long_one (id int);\n');
    const t0 = performance.now();
    const r = await cli(['db', 'migrate', '--lock-timeout', '10s']);
    expect(r.code, r.stderr).toBe(0);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(await tables()).toContain('long_one');
  });
});

describe('tm db new and tm db wait', () => {
  it('new writes YYYYMMDDHHMMSS_name.sql with both markers', async () => {
    await withMigrationsDir();
    const r = await cli(['db', 'new', 'Create', 'users']);
    expect(r.code).toBe(0);
    const [name] = await readdir(dir);
    expect(name).toMatch(/^\d{14}_create_users\.sql$/);
    expect(await readFile(join(dir, name!), 'utf8')).toBe('-- migrate:up\n\n\n-- migrate:down\n\n');
  });

  it('wait succeeds against a server whose database does not exist yet', async () => {
    const r = await execa(process.execPath, [TM, 'db', 'wait', '--timeout', '5s', '--database-url', urlOf('not_created_yet')], {
      cwd: project.dir,
      reject: false,
    });
    expect(r.exitCode).toBe(0);
  });
});

describe("usage and URL errors are the user's, not tm bugs", () => {
  it('refuses a --to that is not a version (exit 2), for migrate and rollback', async () => {
    await file('1_a.sql', 'CREATE TABLE a (id int);');
    await withMigrationsDir();
    for (const args of [
      ['db', 'migrate', '--to', 'xyz'],
      ['db', 'rollback', '--to', 'abc'],
      ['db', 'migrate', '--to', '1.5'],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/error TM_USAGE --to: "[^"]+" is not a migration version\nhint: give the leading digits of a migration file name/);
    }
    expect(await tables()).toEqual([]);
  });

  it('a malformed database URL exits 3 naming where it came from, without its password', async () => {
    for (const url of ['postgres://u:pw-very-secret@127.0.0.1:xx/db', 'postgres://u:pw-very-secret@[::1:28860/db']) {
      const flag = await execa(process.execPath, [TM, 'db', 'status', '--database-url', url], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });
      expect(flag.exitCode, flag.stderr).toBe(3);
      expect(flag.stderr).toContain('error TM_DB_URL the database URL from --database-url cannot be read');
      expect(flag.stderr).not.toContain('pw-very-secret');
      expect(flag.stderr).not.toContain('TM_INTERNAL');
      const env = await execa(process.execPath, [TM, 'db', 'migrate'], { cwd: project.dir, reject: false, env: { NO_COLOR: '1', DATABASE_URL: url } });
      expect(env.exitCode, env.stderr).toBe(3);
      expect(env.stderr).toContain('the database URL from DATABASE_URL cannot be read');
      expect(env.stderr).toContain('hint: fix DATABASE_URL');
      expect(env.stderr).not.toContain('pw-very-secret');
    }
  });

  it("sslmode=require: one warning line instead of pg's paragraph", async () => {
    const r = await execa(process.execPath, [TM, 'db', 'status', '--database-url', `${urlOf(db)}?sslmode=require`], {
      cwd: project.dir,
      reject: false,
      env: { NO_COLOR: '1' },
    });
    expect(r.stderr).not.toContain('SECURITY WARNING');
    expect(r.stderr).toContain('warning sslmode=require in --database-url: pg verifies the server certificate');
    expect(r.stderr.split('\n').filter((l) => l.includes('sslmode')).length).toBe(1);
  });
});

describe('tm db new twice in one second', () => {
  it('moves the stamp past the newest file, so versions never collide', async () => {
    const now = new Date('2024-05-06T07:08:09Z');
    const a = await newMigration(config, 'first', now);
    const b = await newMigration(config, 'second', now);
    expect(a).toMatch(/20240506070809_first\.sql$/);
    expect(b).toMatch(/20240506070810_second\.sql$/);
    // A clock behind the newest file (another machine's) still sorts after it.
    const c = await newMigration(config, 'third', new Date('2024-01-01T00:00:00Z'));
    expect(c).toMatch(/20240506070811_third\.sql$/);
    expect((await readMigrations(dir, project.dir)).map((m) => m.version)).toEqual(['20240506070809', '20240506070810', '20240506070811']);
  });
});

describe('error positions and transaction control', () => {
  it('names the right line and column after emoji (the server counts characters)', async () => {
    await file('1_emoji.sql', "-- migrate:up\n-- 😀😀😀 party table\nCREATE TABLE party (icon text DEFAULT '🎉');\nSELECT '🎉🎉', nope FROM party;\n");
    await expect(migrate(config, target)).rejects.toMatchObject({
      problems: [expect.objectContaining({ line: 4, column: 14, message: expect.stringContaining('column "nope" does not exist') })],
    });
  });

  it('a transaction:false failure says the statements before it stayed applied', async () => {
    await file('1_t.sql', '-- migrate:up transaction:false\nCREATE TABLE first_one (id int);\nCREATE INDEX CONCURRENTLY nope_idx ON nope (id);\n');
    await withMigrationsDir();
    const r = await cli(['db', 'migrate']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('failed part-way');
    expect(r.stderr).toMatch(/hint: the statements before it in this file stayed applied: undo them, or make them safe to repeat \(IF NOT EXISTS\)/);
    expect(await tables()).toEqual(['first_one', 'tm_schema_migrations']);
  });

  it('refuses a transactional file with its own BEGIN/COMMIT before any SQL runs', async () => {
    await file('1_ok.sql', 'CREATE TABLE ok (id int);');
    await file('2_commit.sql', '-- migrate:up\nCREATE TABLE half (id int);\nCOMMIT;\nCREATE TABLE other (id int);\n');
    await expect(migrate(config, target)).rejects.toMatchObject({
      code: 'TM_MIGRATION_INVALID',
      exit: 6,
      problems: [expect.objectContaining({ line: 3, column: 1 })],
    });
    expect(await tables()).toEqual(['tm_schema_migrations']); // not even 1_ok ran
    // The same statements are fine where tm does not wrap them.
    await file('2_commit.sql', '-- migrate:up transaction:false\nCREATE TABLE half (id int);\nCOMMIT;\nCREATE TABLE other (id int);\n');
    expect((await migrate(config, target)).applied).toHaveLength(2);
  });
});

describe('status hints and repair', () => {
  it('status --exit-code points at repair when files were edited, not at migrate', async () => {
    await file('1_a.sql', 'CREATE TABLE a (id int);');
    await migrate(config, target);
    await file('1_a.sql', 'CREATE TABLE a (id int, x int);');
    await withMigrationsDir();
    const r = await cli(['db', 'status', '--exit-code']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('hint: restore the edited or missing files (git checkout), or accept them with tm db repair; then tm db migrate');
  });

  it('repair VERSION repairs only that one; --dry-run says what it would do and changes nothing', async () => {
    await file('1_a.sql', 'CREATE TABLE a (id int);');
    await file('2_b.sql', 'CREATE TABLE b (id int);');
    await migrate(config, target);
    await file('1_a.sql', 'CREATE TABLE a (id int, x int);');
    await file('2_b.sql', 'CREATE TABLE b (id int, y int);');
    await withMigrationsDir();
    const sums = async () => (await query<{ checksum: string }>('SELECT checksum FROM tm_schema_migrations ORDER BY version')).map((r) => r.checksum);
    const before = await sums();

    const dry = await cli(['db', 'repair', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      dry_run: true,
      changes: [
        { version: '1', change: 'checksum re-recorded' },
        { version: '2', change: 'checksum re-recorded' },
      ],
    });
    expect(dry.stderr).toMatch(/would repair 1_a: checksum re-recorded \(sha256 [0-9a-f]{12}… → [0-9a-f]{12}…\)/);
    expect(await sums()).toEqual(before);

    const one = await cli(['db', 'repair', '1']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toContain('repaired 1_a: checksum re-recorded');
    expect(one.stderr).not.toContain('2_b');
    const after = await sums();
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).toBe(before[1]);
    expect((await cli(['db', 'repair', '7'])).code).toBe(2);
  });
});

describe('the lock holder', () => {
  it('names the holder in this database, not a session holding the same key in another one', async () => {
    await file('1_a.sql', 'CREATE TABLE a (id int);');
    await withMigrationsDir();
    const key = '8389466604385563233';
    const sessions: pg.Client[] = [];
    const hold = async (database: string, name: string) => {
      const c = new pg.Client({ connectionString: urlOf(database), application_name: name });
      await c.connect();
      await c.query('SELECT pg_advisory_lock($1)', [key]);
      sessions.push(c);
    };
    try {
      // Decoys in other databases: with no database filter the first row is any of them.
      for (let i = 0; i < 6; i++) {
        await admin.query(`CREATE DATABASE ${db}_decoy${i}`);
        await hold(`${db}_decoy${i}`, `decoy ${i}`);
      }
      await hold(db, 'the real holder');
      const r = await cli(['db', 'migrate', '--lock-timeout', '200ms']);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain('holds the lock after waiting 200 ms: the real holder (server pid');
      expect(r.stderr).not.toContain('decoy');
    } finally {
      for (const c of sessions) await c.end();
    }
  });
});

describe('tm db wait when the server answers no', () => {
  const dbWait = (url: string, timeout: string) =>
    execa(process.execPath, [TM, 'db', 'wait', '--timeout', timeout, '--database-url', url], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } });
  it('a wrong password or a missing role fails at once with exit 3 (as tm up), not after the timeout', async () => {
    for (const url of [
      `postgres://mig_user:wrong-password@127.0.0.1:${project.pgPort}/${db}`,
      `postgres://no_such_role:pw@127.0.0.1:${project.pgPort}/${db}`,
    ]) {
      const t0 = performance.now();
      const r = await dbWait(url, '60s');
      expect(r.exitCode, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/error TM_DB_LOGIN_REFUSED the database server at 127\.0\.0\.1:\d+ is up, but the (password|login) was refused/);
      expect(r.stderr).toContain('hint: check the user and password in --database-url');
      expect(performance.now() - t0).toBeLessThan(30_000);
    }
  });

  it('a database URL that is not one exits 3 at once, naming it, instead of waiting for a host "base"', async () => {
    for (const bad of ['notaurl', 'localhost:5432/db', 'mysql://u:p@127.0.0.1/x']) {
      const t0 = performance.now();
      const r = await dbWait(bad, '30s');
      expect(r.exitCode, r.stderr).toBe(3);
      expect(r.stderr).toContain('error TM_DB_URL the database URL from --database-url cannot be read: expected a postgres:// URL');
      expect(r.stderr).not.toMatch(/\bbase\b/);
      expect(performance.now() - t0).toBeLessThan(15_000);
    }
  });

  it('on timeout the hint names where it looked, not a service called "database"', async () => {
    const r = await execa(process.execPath, [TM, 'db', 'wait', '--timeout', '300ms', '--database-url', 'postgres://u:p@127.0.0.1:1/x'], {
      cwd: project.dir,
      reject: false,
      env: { NO_COLOR: '1' },
    });
    expect(r.exitCode).toBe(5);
    expect(r.stderr).not.toContain('tm logs database');
    expect(r.stderr).toContain('hint: is a server listening at 127.0.0.1:1? (the URL is from --database-url)');
  });
});
