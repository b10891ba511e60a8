import { execa } from 'execa';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerUnavailable } from '../helpers/container.js';
import { freePort, projectsPerTest, tempProject, type TempProject } from '../helpers/project.js';

// services.postgres.{extensions, settings, init, databases, test_database} against real
// servers: PostgreSQL 15's local binaries natively, the stand-in image on Docker. pgcrypto and
// hstore ship with PostgreSQL, so the extension tests need no extra package.

const IMAGES = { postgres: 'standin/postgres:15', redis: 'standin/redis:7' };
const noDocker = await dockerUnavailable(Object.values(IMAGES));
/** Whether the Postgres image runs /docker-entrypoint-initdb.d on a new volume, as the official one does. */
const imageRunsInitFolder =
  !noDocker &&
  (await execa('docker', ['run', '--rm', '--entrypoint', 'cat', IMAGES.postgres, '/usr/local/bin/entrypoint.sh'], { reject: false })).stdout.includes(
    'docker-entrypoint-initdb.d',
  );
if (!noDocker && !imageRunsInitFolder)
  console.warn(`${IMAGES.postgres} does not run /docker-entrypoint-initdb.d (the official image does): its init files are checked as mounted only`);

const SCHEMA = 'CREATE TABLE greeting (id serial PRIMARY KEY, text text NOT NULL);\n';
const DATA = "INSERT INTO greeting (text) VALUES ('hello');\n";

/** The project's `services.postgres` line with the extras, and its init files. */
async function withExtras(p: TempProject, keys: string, files: Record<string, string> = {}): Promise<void> {
  const file = join(p.dir, 'taskmaster.yml');
  await writeFile(file, (await readFile(file, 'utf8')).replace(/(\n {2}postgres: \{[^\n]*) \}\n/, `$1, ${keys} }\n`));
  await mkdir(join(p.dir, 'db', 'init'), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(p.dir, 'db', 'init', name), text);
}

/** `tm psql` (or `tm shell SERVICE`) running one query, its rows as `a|b` lines. */
async function query(p: TempProject, sql: string, service = 'postgres'): Promise<string> {
  const r = await p.tm([...(service === 'postgres' ? ['psql'] : ['shell', service]), '--', '-tA', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
  if (r.exitCode !== 0) throw new Error(`query on ${service} failed: ${r.stderr}`);
  return r.stdout.trim();
}

for (const runtime of ['native', 'docker'] as const) {
  describe.skipIf(runtime === 'docker' && noDocker)(`postgres extras (${runtime})`, () => {
    let p: TempProject;
    let testPort: number;
    beforeAll(async () => {
      p = await tempProject({ name: `pgx${runtime[0]}`, runtime, images: runtime === 'docker' ? IMAGES : undefined });
      testPort = await freePort();
      await withExtras(
        p,
        `extensions: [pgcrypto, hstore], settings: { work_mem: 8MB, jit: false }, init: "db/init/*.sql", databases: [analytics], test_database: { port: ${testPort} }`,
        // In name order: the second file needs the first's table.
        { '01-schema.sql': SCHEMA, '02-data.sql': DATA },
      );
      const up = await p.tm(['up'], { timeout: 240_000 });
      if (up.exitCode !== 0) throw new Error(`tm up failed: ${up.stderr}`);
    }, 300_000);
    afterAll(async () => {
      await p?.cleanup();
    }, 120_000);

    it('the app database has its extensions, settings and extra database; the test database is a service of its own', async () => {
      expect(await query(p, 'SELECT extname FROM pg_extension ORDER BY 1')).toBe('hstore\npgcrypto\nplpgsql');
      expect(await query(p, "SELECT encode(digest('x', 'sha1'), 'hex'), 'a=>1'::hstore -> 'a'")).toBe('11f6ad8ec52a2984abaafd7c3b516503785c2072|1');
      expect(await query(p, 'SHOW jit')).toBe('off');
      expect(await query(p, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'analytics'")).toBe(`pgx${runtime[0]}_user`);
      // The test database: its own server on its port, the same extensions, throwaway settings.
      expect(await query(p, 'SELECT current_database()', 'test-db')).toBe(`pgx${runtime[0]}_db_test`);
      expect(await query(p, "SELECT string_agg(extname, ',' ORDER BY extname), current_setting('fsync') FROM pg_extension", 'test-db')).toBe(
        'hstore,pgcrypto,plpgsql|off',
      );
      const status = JSON.parse((await p.tm(['status', '--json'])).stdout) as { services: { name: string; state: string; port: number }[] };
      expect(status.services.find((s) => s.name === 'test-db')).toMatchObject({ state: 'running', port: testPort });
    });

    it('tm env init writes DATABASE_TEST_URL and DATABASE_ANALYTICS_URL from the services, and they reach their databases', async () => {
      const file = join(p.dir, 'taskmaster.yml');
      const before = await readFile(file, 'utf8');
      try {
        await writeFile(file, `${before}env:\n  DATABASE_TEST_URL: { type: postgres-url }\n  DATABASE_ANALYTICS_URL: { type: postgres-url }\n`);
        const init = await p.tm(['env', 'init', '--force']);
        expect(init.exitCode, init.stderr).toBe(0);
        const env = await readFile(join(p.dir, '.env'), 'utf8');
        const test = /^DATABASE_TEST_URL=(.*)$/m.exec(env)?.[1];
        const analytics = /^DATABASE_ANALYTICS_URL=(.*)$/m.exec(env)?.[1];
        expect(test).toBe(`postgres://pgx${runtime[0]}_user:pw-pgx${runtime[0]}-secret@127.0.0.1:${testPort}/pgx${runtime[0]}_db_test`);
        expect(analytics).toBe(`postgres://pgx${runtime[0]}_user:pw-pgx${runtime[0]}-secret@127.0.0.1:${p.pgPort}/analytics`);
        const { default: pg } = await import('pg');
        for (const [url, db] of [
          [test!, `pgx${runtime[0]}_db_test`],
          [analytics!, 'analytics'],
        ]) {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          try {
            expect((await client.query('SELECT current_database() AS db')).rows[0].db).toBe(db);
          } finally {
            await client.end();
          }
        }
      } finally {
        await writeFile(file, before);
      }
    });

    it.skipIf(runtime === 'docker' && !imageRunsInitFolder)('init files ran once, in order, on both new data directories', async () => {
      expect(await query(p, 'SELECT text FROM greeting')).toBe('hello');
      expect(await query(p, 'SELECT text FROM greeting', 'test-db')).toBe('hello');
    });

    it.runIf(runtime === 'docker')('on Docker the init files are mounted into /docker-entrypoint-initdb.d, in order', async () => {
      const ls = await p.tm(['exec', 'postgres', '--', 'sh', '-c', 'for f in /docker-entrypoint-initdb.d/*; do echo "$f"; cat "$f"; done']);
      expect(ls.exitCode, ls.stderr).toBe(0);
      expect(ls.stdout).toBe(`/docker-entrypoint-initdb.d/001-01-schema.sql\n${SCHEMA}/docker-entrypoint-initdb.d/002-02-data.sql\n${DATA}`.trimEnd());
      const mounts = await execa('docker', ['inspect', '-f', '{{range .Mounts}}{{.Type}} {{.Destination}}{{"\\n"}}{{end}}', await containerOf(p, 'test-db')]);
      expect(mounts.stdout).not.toMatch(/^volume /m);
      const tmpfs = await execa('docker', ['inspect', '-f', '{{json .HostConfig.Tmpfs}}', await containerOf(p, 'test-db')]);
      expect(tmpfs.stdout).toContain('/var/lib/postgresql/tmpfs');
    });

    it('a warm start keeps the data and runs no init file again; the test database starts empty after tm down', async () => {
      await query(p, "CREATE TABLE IF NOT EXISTS kept (x text); INSERT INTO kept VALUES ('row')");
      await query(p, 'CREATE TABLE scratch (x int)', 'test-db');
      expect((await p.tm(['down'])).exitCode).toBe(0);
      const up = await p.tm(['up'], { timeout: 240_000 });
      expect(up.exitCode, up.stderr).toBe(0);
      expect(up.stderr).not.toMatch(/init file.* of postgres/);
      expect(await query(p, 'SELECT count(*) FROM kept')).toBe('1');
      if (runtime === 'native' || imageRunsInitFolder) expect(await query(p, 'SELECT string_agg(text, $$,$$) FROM greeting')).toBe('hello');
      expect(await query(p, "SELECT count(*) FROM pg_tables WHERE tablename = 'scratch'", 'test-db')).toBe('0');
      // Its extensions are made again on the new one.
      expect(await query(p, "SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'", 'test-db')).toBe('1');
    }, 300_000);

    it('a changed setting is reported by tm up on the running server, and tm restart applies it', async () => {
      const file = join(p.dir, 'taskmaster.yml');
      const text = await readFile(file, 'utf8');
      expect(await query(p, 'SHOW work_mem')).toMatch(/^(8|16)MB$/);
      const wanted = (await query(p, 'SHOW work_mem')) === '8MB' ? '16MB' : '8MB';
      await writeFile(file, text.replace(/work_mem: \d+MB/, `work_mem: ${wanted}`));
      const up = await p.tm(['up']);
      expect(up.exitCode, up.stderr).toBe(0);
      expect(up.stderr).toContain(`but services.postgres.settings.work_mem is ${wanted}: settings apply when the server starts (tm restart postgres)`);
      const restart = await p.tm(['restart', 'postgres'], { timeout: 240_000 });
      expect(restart.exitCode, restart.stderr).toBe(0);
      expect(await query(p, 'SHOW work_mem')).toBe(wanted);
      expect((await p.tm(['up'])).stderr).not.toContain('settings apply when the server starts (tm restart postgres)');
    }, 300_000);
  });
}

/** The id of a service's container in the project's compose project. */
async function containerOf(p: TempProject, service: string): Promise<string> {
  const status = JSON.parse((await p.tm(['status', '--json'])).stdout) as { services: { name: string; container?: { id: string } }[] };
  return status.services.find((s) => s.name === service)!.container!.id;
}

describe('postgres extras: refusals and files', () => {
  const { project } = projectsPerTest();

  for (const runtime of ['native', 'docker'] as const) {
    it.skipIf(runtime === 'docker' && noDocker)(
      `an extension the server lacks stops tm up with which one and what to install (${runtime})`,
      async () => {
        const p = await project({ name: `pgm${runtime[0]}`, runtime, images: runtime === 'docker' ? IMAGES : undefined });
        await withExtras(p, 'extensions: [pgcrypto, no_such_extension]');
        const up = await p.tm(['up'], { timeout: 240_000 });
        expect(up.exitCode).toBe(4);
        expect(up.stderr).toContain(
          `error TM_PG_EXTENSION_MISSING postgres's PostgreSQL 15 (${runtime === 'native' ? 'local binaries' : `image ${IMAGES.postgres}`}) does not have the extension no_such_extension (services.postgres.extensions)`,
        );
        expect(up.stderr).toContain(runtime === 'native' ? 'apt-cache search postgresql-15' : `build one FROM ${IMAGES.postgres}`);
        // Checked before anything is created: pgcrypto was not made either.
        const file = join(p.dir, 'taskmaster.yml');
        await writeFile(file, (await readFile(file, 'utf8')).replace('extensions: [pgcrypto, no_such_extension]', 'extensions: [hstore]'));
        expect((await p.tm(['up'], { timeout: 240_000 })).exitCode).toBe(0);
        expect(await query(p, 'SELECT string_agg(extname, $$,$$ ORDER BY extname) FROM pg_extension')).toBe('hstore,plpgsql');
      },
      300_000,
    );
  }

  it('a failing init file stops tm up at its line; once fixed, the next tm up runs it and the files after it (native)', async () => {
    const p = await project({ name: 'pgi' });
    await withExtras(p, 'init: [db/init/a.sql, db/init/b.sql, db/init/c.sql]', {
      'a.sql': SCHEMA,
      'b.sql': "INSERT INTO greeting (text) VALUES ('one');\nINSERT INTO greeting (txt) VALUES ('two');\n",
      'c.sql': "INSERT INTO greeting (text) VALUES ('three');\n",
    });
    const up = await p.tm(['up']);
    expect(up.exitCode).toBe(6);
    expect(up.stderr).toContain('error TM_PG_INIT_FAILED init file db/init/b.sql failed and was rolled back');
    expect(up.stderr).toMatch(/db\/init\/b\.sql:2:\d+.*column "txt" of relation "greeting" does not exist/);
    await writeFile(join(p.dir, 'db', 'init', 'b.sql'), "INSERT INTO greeting (text) VALUES ('one');\nINSERT INTO greeting (text) VALUES ('two');\n");
    const again = await p.tm(['up']);
    expect(again.exitCode, again.stderr).toBe(0);
    // a.sql ran once (its CREATE TABLE would fail a second time), b.sql's first row was rolled back with it.
    expect(await query(p, 'SELECT string_agg(text, $$,$$ ORDER BY id) FROM greeting')).toBe('one,two,three');
  }, 300_000);

  it('tm ci --external makes the extensions and databases on the database it is given, and names the one it lacks', async () => {
    // The database is started without extras (as a CI service container would be), then the config asks for them.
    const p = await project({ name: 'pge' });
    expect((await p.tm(['up'])).exitCode).toBe(0);
    const env = { CI: 'true', DATABASE_URL: `postgres://pge_user:pw-pge-secret@127.0.0.1:${p.pgPort}/pge_db` };
    await withExtras(p, 'extensions: [hstore], databases: [reports]');
    const ci = await p.tm(['ci', '--external'], { env });
    expect(ci.exitCode, ci.stderr).toBe(0);
    expect(ci.stderr).toContain('created database reports, extension hstore');
    expect(await query(p, "SELECT count(*) FROM pg_extension WHERE extname = 'hstore'")).toBe('1');
    expect(await query(p, "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'reports'")).toBe('pge_user');
    const file = join(p.dir, 'taskmaster.yml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('extensions: [hstore]', 'extensions: [hstore, no_such_extension]'));
    const missing = await p.tm(['ci', '--external'], { env });
    expect(missing.exitCode).toBe(4);
    expect(missing.stderr).toContain(
      "postgres's PostgreSQL 15 (the database DATABASE_URL points at) does not have the extension no_such_extension (services.postgres.extensions)",
    );
  }, 300_000);

  it('a file added to an init folder is found by the next command, past the config cache', async () => {
    const p = await project({ name: 'pgc' });
    await withExtras(p, 'init: db/init', { 'a.sql': SCHEMA });
    await mkdir(join(p.dir, '.taskmaster'));
    const mounts = async () => {
      const r = await p.tm(['render', 'compose']);
      expect(r.exitCode, r.stderr).toBe(0);
      return [...r.stdout.matchAll(/target: (\/docker-entrypoint-initdb\.d\/\S+)/g)].map((m) => m[1]);
    };
    expect(await mounts()).toEqual(['/docker-entrypoint-initdb.d/001-a.sql']);
    await writeFile(join(p.dir, 'db', 'init', 'b.sql'), DATA);
    expect(await mounts()).toEqual(['/docker-entrypoint-initdb.d/001-a.sql', '/docker-entrypoint-initdb.d/002-b.sql']);
  });

  it('an init entry that names nothing in the project is refused at its line', async () => {
    const p = await project({ name: 'pgn' });
    await withExtras(p, 'init: [db/init/missing.sql, ../outside.sql]');
    const up = await p.tm(['up']);
    expect(up.exitCode).toBe(3);
    expect(up.stderr).toMatch(/taskmaster\.yml:\d+:\d+ services\.postgres\.init\[0\]: no file or folder db\/init\/missing\.sql in the project/);
    expect(up.stderr).toMatch(/services\.postgres\.init\[1\]: expected a path inside the project/);
  });
});
