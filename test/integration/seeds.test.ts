import { execa } from 'execa';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queryUrl } from '../helpers/database.js';
import { tempProject, TM, type TempProject } from '../helpers/project.js';
import { postgresProgram } from '../helpers/postgres-bin.js';

// Seeds, reset and snapshots through the CLI, against real Postgres.
let project: TempProject;
let admin: pg.Client;
let n = 0;
let db: string;
const url = (name: string) => `postgres://seed_user:pw-seed-secret@127.0.0.1:${project.pgPort}/${name}`;
const seeds = () => join(project.dir, 'db', 'seeds');
const tm = (...args: string[]) =>
  execa(process.execPath, [TM, ...args, '--database-url', url(db)], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } }).then((r) => ({
    code: r.exitCode,
    stdout: String(r.stdout),
    stderr: String(r.stderr),
  }));
const q = <T = Record<string, unknown>>(sql: string, database = db) => queryUrl<T>(url(database), sql);

beforeAll(async () => {
  project = await tempProject({ name: 'seed' });
  expect((await project.tm(['up'])).exitCode).toBe(0);
  admin = new pg.Client(url('seed_db'));
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await project?.cleanup();
});
beforeEach(async () => {
  db = `s${n++}`;
  await admin.query(`CREATE DATABASE ${db}`);
  await rm(join(project.dir, 'db'), { recursive: true, force: true });
  await mkdir(join(project.dir, 'db', 'migrations'), { recursive: true });
  await mkdir(seeds(), { recursive: true });
  await writeFile(
    join(project.dir, 'db', 'migrations', '001_schema.sql'),
    'CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL, name text);\nCREATE TABLE log (what text, at timestamptz DEFAULT now());\n',
  );
  expect((await tm('db', 'migrate')).code).toBe(0);
});

describe('tm db seed', () => {
  it('runs seeds in name order once, again when changed, and per environment', async () => {
    await writeFile(join(seeds(), '02_second.sql'), "INSERT INTO log (what) VALUES ('second');");
    await writeFile(join(seeds(), '01_first.sql'), "INSERT INTO log (what) VALUES ('first');");
    await mkdir(join(seeds(), 'test'));
    await writeFile(join(seeds(), 'test', '01_only_test.sql'), "INSERT INTO log (what) VALUES ('test only');");
    await mkdir(join(seeds(), 'development'));
    await writeFile(join(seeds(), 'development', '01_only_dev.sql'), "INSERT INTO log (what) VALUES ('dev only');");

    const first = await tm('db', 'seed', '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).ran.map((r: { path: string }) => r.path)).toEqual([
      'db/seeds/01_first.sql',
      'db/seeds/02_second.sql',
      'db/seeds/development/01_only_dev.sql',
    ]);
    expect((await q<{ what: string }>('SELECT what FROM log ORDER BY at, what')).map((r) => r.what)).toEqual(['first', 'second', 'dev only']);

    expect(JSON.parse((await tm('db', 'seed', '--json')).stdout).ran).toEqual([]);
    await writeFile(join(seeds(), '02_second.sql'), "INSERT INTO log (what) VALUES ('second, changed');");
    expect(JSON.parse((await tm('db', 'seed', '--json')).stdout).ran.map((r: { path: string }) => r.path)).toEqual(['db/seeds/02_second.sql']);
    expect(JSON.parse((await tm('db', 'seed', '--env', 'test', '--json')).stdout).ran.map((r: { path: string }) => r.path)).toEqual([
      'db/seeds/test/01_only_test.sql',
    ]);
    expect(JSON.parse((await tm('db', 'seed', '--reset', '--json')).stdout).ran).toHaveLength(3);
  });

  it('a rollback forgets the seeds that ran on the schema it took away; the next seed runs them again', async () => {
    await writeFile(join(seeds(), '01_users.sql'), "INSERT INTO users (email) VALUES ('a@x');");
    expect((await tm('db', 'seed')).code).toBe(0);
    // A later migration, and a seed of its table.
    await writeFile(
      join(project.dir, 'db', 'migrations', '002_pets.sql'),
      '-- migrate:up\nCREATE TABLE pets (name text);\n-- migrate:down\nDROP TABLE pets;\n',
    );
    expect((await tm('db', 'migrate')).code).toBe(0);
    await writeFile(join(seeds(), '02_pets.sql'), "INSERT INTO pets VALUES ('rex');");
    expect((await tm('db', 'seed')).code).toBe(0);
    expect((await tm('db', 'rollback', '--steps', '1')).code).toBe(0);
    expect((await tm('db', 'migrate')).code).toBe(0);
    const again = await tm('db', 'seed', '--json');
    expect(again.code, again.stderr).toBe(0);
    // The pets seed ran on the rolled-back schema: it runs again; the users seed ran before it and stays done.
    expect(JSON.parse(again.stdout)).toMatchObject({ ran: [{ path: 'db/seeds/02_pets.sql' }], skipped: ['db/seeds/01_users.sql'] });
    expect(await q('SELECT name FROM pets')).toEqual([{ name: 'rex' }]);
    expect(await q('SELECT count(*)::int AS n FROM users')).toEqual([{ n: 1 }]);
  });

  it('a failing seed rolls back, exits 6 and names the file and line', async () => {
    await writeFile(join(seeds(), '01_ok.sql'), "INSERT INTO log (what) VALUES ('ok');");
    await writeFile(join(seeds(), '02_bad.sql'), "INSERT INTO log (what) VALUES ('half');\nINSERT INTO users (email) VALUES ('a@x'), ('a@x');\n");
    const r = await tm('db', 'seed');
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('error TM_SEED_FAILED seed db/seeds/02_bad.sql failed and was rolled back');
    expect(r.stderr).toMatch(/db\/seeds\/02_bad\.sql:2:1 duplicate key value/);
    expect((await q<{ what: string }>('SELECT what FROM log')).map((x) => x.what)).toEqual(['ok']);
  });

  it('loads a 100,000-row CSV with COPY, columns from the header', async () => {
    const lines = ['email,name'];
    for (let i = 0; i < 100_000; i++) lines.push(`user${i}@example.com,"Name, ${i}"`);
    await writeFile(join(seeds(), '10_users.csv'), `${lines.join('\n')}\n`);
    const r = await tm('db', 'seed', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).ran[0]).toMatchObject({ path: 'db/seeds/10_users.csv', rows: 100_000 });
    expect(await q('SELECT count(*)::int AS n, max(name) AS m FROM users WHERE name LIKE $$Name, %$$')).toEqual([{ n: 100_000, m: 'Name, 99999' }]);
  });

  it('gives a .mjs seed a working client inside its transaction', async () => {
    await writeFile(
      join(seeds(), '01_users.mjs'),
      `export default async function (client) {
  const { rows } = await client.query('SELECT current_database() AS db');
  await client.query('INSERT INTO users (email, name) VALUES ($1, $2)', ['js@example.com', rows[0].db]);
}
`,
    );
    expect((await tm('db', 'seed')).code).toBe(0);
    expect(await q('SELECT email, name FROM users')).toEqual([{ email: 'js@example.com', name: db }]);
    await writeFile(
      join(seeds(), '02_throws.mjs'),
      `export default async function (client) { await client.query("INSERT INTO log (what) VALUES ('x')"); throw new Error('boom'); }\n`,
    );
    const r = await tm('db', 'seed');
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('db/seeds/02_throws.mjs boom');
    expect(await q('SELECT * FROM log')).toEqual([]);
  });

  it("runs a .ts seed through the project's own tsx, in a transaction with its tracking row", async () => {
    // tsx comes from the npm registry, as it would in a user's project.
    await writeFile(join(project.dir, 'package.json'), '{ "name": "seedproj", "private": true, "type": "module" }\n');
    const install = await execa('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', 'tsx@4'], { cwd: project.dir, reject: false });
    expect(install.exitCode, String(install.stderr)).toBe(0);
    await writeFile(
      join(seeds(), '01_typed.ts'),
      `import type { Client } from 'pg';
const names: string[] = ['ts-one@x', 'ts-two@x'];
export default async function seed(client: Client): Promise<void> {
  for (const email of names) await client.query('INSERT INTO users (email) VALUES ($1) ON CONFLICT DO NOTHING', [email]);
}
`,
    );
    const r = await tm('db', 'seed', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).ran.map((x: { path: string }) => x.path)).toEqual(['db/seeds/01_typed.ts']);
    expect((await q<{ email: string }>('SELECT email FROM users ORDER BY email')).map((x) => x.email)).toEqual(['ts-one@x', 'ts-two@x']);
    expect(JSON.parse((await tm('db', 'seed', '--json')).stdout).skipped).toEqual(['db/seeds/01_typed.ts']);
    await writeFile(join(seeds(), '01_typed.ts'), 'export default async function () { throw new Error("typed boom"); }\n');
    const failed = await tm('db', 'seed');
    expect(failed.code).toBe(6);
    expect(failed.stderr).toContain('typed boom');
    await rm(join(project.dir, 'node_modules'), { recursive: true, force: true });
    await rm(join(project.dir, 'package.json'), { force: true });
    await rm(join(project.dir, 'package-lock.json'), { force: true });
  }, 120_000);

  it('names tsx when a .ts seed cannot run', async () => {
    await writeFile(join(seeds(), '01_x.ts'), 'export default async function () {}\n');
    const r = await tm('db', 'seed');
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('npm install --save-dev tsx');
  });
});

describe('tm db reset', () => {
  const schemaOf = async () =>
    (await execa(await postgresProgram('pg_dump'), ['--schema-only', '--no-owner', '-d', url(db)])).stdout.replace(/^\\(un)?restrict .*$/gm, '');
  it('gives the same schema and data replayed and from the template cache, and says which path it took', async () => {
    await writeFile(join(seeds(), '01_users.sql'), "INSERT INTO users (email) VALUES ('a@x'), ('b@x') ON CONFLICT DO NOTHING;");
    expect((await tm('db', 'reset')).code).toBe(2); // no TTY, no --yes
    const replay = await tm('db', 'reset', '--yes', '--json');
    expect(replay.code, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ path: 'replay', migrations: 1, seeds: 1 });
    const schemaA = await schemaOf();
    const countA = await q('SELECT count(*)::int AS n FROM users');
    await q("INSERT INTO users (email) VALUES ('junk@x')");

    const cached = await tm('db', 'reset', '--yes', '--json');
    expect(JSON.parse(cached.stdout)).toMatchObject({ path: 'template' });
    expect(await schemaOf()).toBe(schemaA);
    expect(await q('SELECT count(*)::int AS n FROM users')).toEqual(countA);

    await writeFile(join(seeds(), '01_users.sql'), "INSERT INTO users (email) VALUES ('c@x') ON CONFLICT DO NOTHING;");
    expect(JSON.parse((await tm('db', 'reset', '--yes', '--json')).stdout)).toMatchObject({ path: 'replay' });
    expect(await q('SELECT email FROM users')).toEqual([{ email: 'c@x' }]);
  });

  it('refuses a database that is not on this machine without --force', async () => {
    const r = await execa(process.execPath, [TM, 'db', 'reset', '--yes', '--database-url', 'postgres://u:p@db.example.com:5432/prod'], {
      cwd: project.dir,
      reject: false,
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('refusing to reset a database that is not on this machine');
  });
});

describe('snapshots', () => {
  it('round-trips data, lists snapshots, deletes them', async () => {
    await q("INSERT INTO users (email) VALUES ('kept@x')");
    const snap = await tm('db', 'snapshot', 'before_change');
    expect(snap.code, snap.stderr).toBe(0);
    await q("DELETE FROM users; INSERT INTO users (email) VALUES ('later@x')");
    // Restore drops the database: as reset, it asks, and without a terminal it needs --yes.
    const unasked = await tm('db', 'restore', 'before_change');
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toContain('TM_NEEDS_YES');
    expect(await q('SELECT email FROM users')).toEqual([{ email: 'later@x' }]);
    expect((await tm('db', 'restore', 'before_change', '--yes')).code).toBe(0);
    expect(await q('SELECT email FROM users')).toEqual([{ email: 'kept@x' }]);
    const list = JSON.parse((await tm('db', 'snapshots', '--json')).stdout).snapshots;
    expect(list.map((s: { name: string }) => s.name)).toEqual(['before_change']);
    expect((await tm('db', 'snapshot', 'before_change')).code).toBe(2); // exists
    expect((await tm('db', 'snapshot', '--delete', 'before_change')).code).toBe(0);
    expect(JSON.parse((await tm('db', 'snapshots', '--json')).stdout).snapshots).toEqual([]);
  });

  it('ends other sessions on the database first, and says so', async () => {
    const other = new pg.Client(url(db));
    await other.connect();
    other.on('error', () => {});
    const r = await tm('db', 'snapshot', 'busy');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('ended 1 other connection(s)');
    await other.end().catch(() => {});
  });

  it('rejects a malicious snapshot name before any SQL', async () => {
    for (const name of ['x"; DROP DATABASE postgres; --', "a' OR '1'='1", 'UPPER', '../etc', 'x'.repeat(41)]) {
      const r = await tm('db', 'snapshot', name);
      expect(r.code, name).toBe(2);
      expect(r.stderr).toContain('TM_SNAPSHOT_NAME');
    }
    expect(await q('SELECT 1 AS ok', 'postgres')).toEqual([{ ok: 1 }]);
  });
});

describe('CSV seeds that run again', () => {
  it('a changed CSV runs again: rows there are updated on their key, new rows added', async () => {
    await writeFile(join(seeds(), '10_users.csv'), 'email,name\na@x,Ada\nb@x,Bob\n');
    expect((await tm('db', 'seed')).code).toBe(0);
    const ids = await q<{ id: number; email: string }>('SELECT id, email FROM users ORDER BY email');
    await writeFile(join(seeds(), '10_users.csv'), 'email,name\na@x,Ada Lovelace\nb@x,Bob\nc@x,Cy\n');
    const r = await tm('db', 'seed', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).ran).toMatchObject([{ path: 'db/seeds/10_users.csv', rows: 3 }]);
    // Matched on email (the CSV has no id): same rows, names updated, one added.
    expect(await q('SELECT email, name FROM users ORDER BY email')).toEqual([
      { email: 'a@x', name: 'Ada Lovelace' },
      { email: 'b@x', name: 'Bob' },
      { email: 'c@x', name: 'Cy' },
    ]);
    expect((await q<{ id: number; email: string }>('SELECT id, email FROM users ORDER BY email')).slice(0, 2)).toEqual(ids);
  });

  it('upserts on the primary key when the CSV has it, and skips rows it cannot match', async () => {
    await q('CREATE TABLE colours (id int PRIMARY KEY, name text NOT NULL)');
    await q('CREATE TABLE tags (label text UNIQUE)');
    await writeFile(join(seeds(), '20_colours.csv'), 'id,name\n1,red\n2,green\n');
    await writeFile(join(seeds(), '30_tags.csv'), 'label\nnew\nhot\n');
    expect((await tm('db', 'seed')).code).toBe(0);
    await writeFile(join(seeds(), '20_colours.csv'), 'id,name\n1,crimson\n2,green\n3,blue\n');
    await writeFile(join(seeds(), '30_tags.csv'), 'label\nnew\nhot\nsale\n');
    const r = await tm('db', 'seed');
    expect(r.code, r.stderr).toBe(0);
    expect(await q('SELECT id, name FROM colours ORDER BY id')).toEqual([
      { id: 1, name: 'crimson' },
      { id: 2, name: 'green' },
      { id: 3, name: 'blue' },
    ]);
    expect((await q<{ label: string }>('SELECT label FROM tags ORDER BY label')).map((t) => t.label)).toEqual(['hot', 'new', 'sale']);
  });

  it('a CSV with explicit ids moves the serial and identity sequences past them: the next insert gets a new id', async () => {
    await q('CREATE TABLE things (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text)');
    await writeFile(join(seeds(), '10_users.csv'), 'id,email,name\n1,a@x,Ada\n7,b@x,Bob\n');
    await writeFile(join(seeds(), '20_things.csv'), 'id,name\n3,lamp\n');
    const r = await tm('db', 'seed');
    expect(r.code, r.stderr).toBe(0);
    // What the app does next: an insert without an id.
    expect(await q("INSERT INTO users (email) VALUES ('c@x') RETURNING id")).toEqual([{ id: 8 }]);
    expect(await q("INSERT INTO things (name) VALUES ('desk') RETURNING id")).toEqual([{ id: 4 }]);
    // A changed CSV with lower ids leaves a sequence that is already further alone.
    await writeFile(join(seeds(), '20_things.csv'), 'id,name\n1,chair\n3,lamp\n');
    expect((await tm('db', 'seed')).code).toBe(0);
    expect(await q("INSERT INTO things (name) VALUES ('rug') RETURNING id")).toEqual([{ id: 5 }]);
  });

  it('a bad value names the CSV line (and column), on a first and on a later run', async () => {
    await q('CREATE TABLE points (id int PRIMARY KEY, score int NOT NULL)');
    await writeFile(join(seeds(), '20_points.csv'), 'id,score\n1,10\n2,20\n3,lots\n');
    const first = await tm('db', 'seed');
    expect(first.code).toBe(6);
    expect(first.stderr).toMatch(/db\/seeds\/20_points\.csv:4 invalid input syntax for type integer: "lots" \(column score\)/);
    await writeFile(join(seeds(), '20_points.csv'), 'id,score\n1,10\n2,20\n');
    expect((await tm('db', 'seed')).code).toBe(0);
    await writeFile(join(seeds(), '20_points.csv'), 'id,score\n1,10\n2,20\n3,30\n4,forty\n');
    const later = await tm('db', 'seed');
    expect(later.code).toBe(6);
    expect(later.stderr).toMatch(/db\/seeds\/20_points\.csv:5 invalid input syntax for type integer: "forty" \(column score\)/);
    expect(await q('SELECT count(*)::int AS n FROM points')).toEqual([{ n: 2 }]);
  });
});

describe('.js seeds and the seed template', () => {
  it('runs .js seeds as CommonJS and as ESM (by the nearest package.json "type")', async () => {
    await writeFile(
      join(seeds(), '01_cjs.js'),
      'module.exports = async function (client) { await client.query("INSERT INTO log (what) VALUES (\'cjs\')"); };\n',
    );
    expect((await tm('db', 'seed')).code).toBe(0);
    await mkdir(join(seeds(), 'esm'));
    await writeFile(join(seeds(), 'esm', 'package.json'), '{ "type": "module" }\n');
    await writeFile(
      join(seeds(), 'esm', '01_esm.js'),
      'export default async function (client) { await client.query("INSERT INTO log (what) VALUES (\'esm\')"); }\n',
    );
    const r = await tm('db', 'seed', '--env', 'esm');
    expect(r.code, r.stderr).toBe(0);
    expect((await q<{ what: string }>('SELECT what FROM log ORDER BY at')).map((x) => x.what)).toEqual(['cjs', 'esm']);
  });

  it('tm db new --seed writes a seed that runs as it is, before the tables it would fill exist', async () => {
    await q('DROP TABLE users');
    const made = await tm('db', 'new', '--seed', 'demo data');
    expect(made.code, made.stderr).toBe(0);
    const r = await tm('db', 'seed', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).ran.map((x: { path: string }) => x.path)).toEqual(['db/seeds/demo_data.sql']);
  });
});

describe('reset, snapshot and restore check before they drop', () => {
  const role = async (name: string, attrs: string) => {
    await admin.query(`DROP ROLE IF EXISTS ${name}`).catch(() => {});
    await admin.query(`CREATE ROLE ${name} LOGIN PASSWORD 'pw-${name}' ${attrs}`);
  };
  const as = (name: string, database: string) => `postgres://${name}:pw-${name}@127.0.0.1:${project.pgPort}/${database}`;
  const run = (...args: string[]) =>
    execa(process.execPath, [TM, ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1' } }).then((r) => ({
      code: r.exitCode,
      stdout: String(r.stdout),
      stderr: String(r.stderr),
    }));
  const exists = async (name: string) => (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;

  it('a role without CREATEDB: reset and snapshot refuse (exit 3) and the database stays', async () => {
    await role(`${db}_plain`, 'NOCREATEDB');
    await admin.query(`ALTER DATABASE ${db} OWNER TO ${db}_plain`);
    const reset = await run('db', 'reset', '--yes', '--database-url', as(`${db}_plain`, db));
    expect(reset.code, reset.stderr).toBe(3);
    expect(reset.stderr).toContain(`error TM_DB_PRIVILEGES role ${db}_plain may not create databases, which tm db reset needs; nothing was changed`);
    expect(reset.stderr).toContain(`hint: as a superuser: ALTER ROLE "${db}_plain" CREATEDB`);
    expect(await exists(db)).toBe(true);
    expect(await q('SELECT count(*)::int AS n FROM users')).toEqual([{ n: 0 }]);
    const snap = await run('db', 'snapshot', 'nope', '--database-url', as(`${db}_plain`, db));
    expect(snap.code, snap.stderr).toBe(3);
    expect(snap.stderr).toContain('TM_DB_PRIVILEGES');
  });

  it('a role that may create databases but does not own this one: refused before dropping', async () => {
    await role(`${db}_maker`, 'CREATEDB');
    const reset = await run('db', 'reset', '--yes', '--database-url', as(`${db}_maker`, db));
    expect(reset.code, reset.stderr).toBe(3);
    expect(reset.stderr).toContain(`role ${db}_maker does not own database ${db} (its owner is seed_user)`);
    expect(await exists(db)).toBe(true);
  });

  it("refuses the server's own databases up front, ending no session", async () => {
    const bystander = new pg.Client(url('postgres'));
    await bystander.connect();
    try {
      for (const name of ['postgres', 'template1', 'template0']) {
        for (const args of [
          ['db', 'reset', '--yes'],
          ['db', 'restore', 'x'],
        ]) {
          const r = await run(...args, '--database-url', url(name));
          expect(r.code, r.stderr).toBe(2);
          expect(r.stderr).toContain(`error TM_DB_SYSTEM refusing to ${args[1]} ${name}: it is a system database of the server`);
        }
      }
      expect((await bystander.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await bystander.end();
    }
  });

  it('decides "local" from the host pg really uses: ?host= and PGHOST count, a socket directory is local', async () => {
    const remote = [
      { args: ['--database-url', 'postgres://u:p@127.0.0.1:5432/prod?host=db.example.com'], env: {} },
      { args: ['--database-url', 'postgres://u:p@/prod'], env: { PGHOST: 'db.example.com' } },
    ];
    for (const { args, env } of remote) {
      const r = await execa(process.execPath, [TM, 'db', 'reset', '--yes', ...args], { cwd: project.dir, reject: false, env: { NO_COLOR: '1', ...env } });
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toContain('refusing to reset a database that is not on this machine (db.example.com');
    }
    // Over the server's Unix socket (trust for local connections here): a real reset.
    const dirRow = await q<{ d: string }>(`SELECT split_part(current_setting('unix_socket_directories'), ',', 1) AS d`);
    const socket = encodeURIComponent(dirRow[0]!.d);
    const viaSocket = await run('db', 'reset', '--yes', '--json', '--database-url', `postgres://seed_user@${socket}:${project.pgPort}/${db}`);
    expect(viaSocket.code, viaSocket.stderr).toBe(0);
    expect(JSON.parse(viaSocket.stdout)).toMatchObject({ database: db, path: 'replay' });
    const viaHostParam = await run('db', 'reset', '--yes', '--json', '--database-url', `postgres://seed_user@localhost:${project.pgPort}/${db}?host=${socket}`);
    expect(viaHostParam.code, viaHostParam.stderr).toBe(0);
  });

  it('checks the host before asking, and restore has the same guard', async () => {
    const ask = await run('db', 'reset', '--database-url', 'postgres://u:p@db.example.com:5432/prod');
    expect(ask.code).toBe(2);
    expect(ask.stderr).toContain('TM_RESET_REMOTE');
    expect(ask.stderr).not.toContain('TM_NEEDS_YES');
    const restore = await run('db', 'restore', 'snap', '--database-url', 'postgres://u:p@db.example.com:5432/prod');
    expect(restore.code).toBe(2);
    expect(restore.stderr).toContain('refusing to restore a database that is not on this machine (db.example.com, from --database-url)');
  });
});
