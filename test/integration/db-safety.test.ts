import { execa } from 'execa';
import { lookup } from 'node:dns/promises';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isOnThisMachine } from '../../src/db/admin/this-machine.js';
import { isLocalHost } from '../../src/db/url.js';
import { databasePerTest } from '../helpers/database.js';
import { TM } from '../helpers/project.js';

// What tm db may replace or delete, against a real Postgres: every test its own database.
const server = databasePerTest('safe');
const { url } = server;
const q = server.query;
const tm = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  execa(process.execPath, [TM, ...args], { cwd: server.project().dir, reject: false, env: { NO_COLOR: '1', ...env } }).then((r) => ({
    code: r.exitCode,
    stdout: String(r.stdout),
    stderr: String(r.stderr),
  }));
/** Whether this machine's name resolves to an address of its own (it does in /etc/hosts on most machines). */
const own = new Set(Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((i) => i.address)));
const hostnameIsLocal = await lookup(hostname(), { all: true }).then(
  (a) => a.length > 0 && a.every((x) => own.has(x.address)),
  () => false,
);
const tablesIn = async (schema: string) =>
  (await q<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = '${schema}' ORDER BY 1`)).map((r) => r.t);

beforeAll(async () => {
  const dir = join(server.project().dir, 'db', 'migrations');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, '001_items.sql'), '-- migrate:up\nCREATE TABLE items (id int PRIMARY KEY);\n-- migrate:down\nDROP TABLE items;\n');
});

describe('tm db reset with ?schema= works on that schema only', () => {
  beforeEach(async () => {
    // Another project's schema and some of public's, in the same database.
    await q('CREATE SCHEMA other; CREATE TABLE other.theirs (v int); INSERT INTO other.theirs VALUES (1); CREATE TABLE public.shared (v int)');
  });

  it("drops and rebuilds schema a; another project's schema and public stay", async () => {
    const mine = url(server.db(), '?schema=a');
    expect((await tm(['db', 'migrate', '--database-url', mine])).code).toBe(0);
    await q('INSERT INTO a.items VALUES (1), (2)');
    const r = await tm(['db', 'reset', '--yes', '--json', '--database-url', mine]);
    expect(r.code, r.stderr).toBe(0);
    expect(await q('SELECT v FROM other.theirs').catch((err: Error) => err.message)).toEqual([{ v: 1 }]);
    expect(await tablesIn('public')).toEqual(['shared']);
    expect(JSON.parse(r.stdout)).toMatchObject({ database: server.db(), schema: 'a', path: 'replay', migrations: 1 });
    expect(await tablesIn('a')).toEqual(['items', 'tm_schema_migrations']);
    expect(await q('SELECT count(*)::int AS n FROM a.items')).toEqual([{ n: 0 }]);
  });

  it('never takes a whole-database template for a schema: the schema ends up migrated', async () => {
    // A reset without ?schema= first leaves a template of the whole database.
    expect((await tm(['db', 'reset', '--yes', '--database-url', url(server.db())])).code).toBe(0);
    const r = await tm(['db', 'reset', '--yes', '--database-url', url(server.db(), '?schema=a')]);
    expect(r.code, r.stderr).toBe(0);
    const status = await tm(['db', 'status', '--exit-code', '--json', '--database-url', url(server.db(), '?schema=a')]);
    expect(status.code, status.stdout).toBe(0);
  });

  it('refuses snapshots and restores, which copy the whole database, naming the fix', async () => {
    for (const args of [
      ['db', 'snapshot', 'before'],
      ['db', 'restore', 'before', '--yes'],
    ]) {
      const r = await tm([...args, '--database-url', url(server.db(), '?schema=a')]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`error TM_SCHEMA_MODE tm db ${args[1]} copies the whole database ${server.db()}, but ?schema=a in the URL`);
      expect(r.stderr).toContain('pg_dump -n a');
    }
    expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'tm_snap_%'`, 'postgres'))[0]!.n).toBe(0);
  });
});

describe('"this machine" is decided by the address pg will reach, not by how the host is spelled', () => {
  it('refuses a name that merely starts like a loopback address, for reset and restore, without --force', async () => {
    for (const args of [
      ['db', 'reset', '--yes'],
      ['db', 'restore', 'snap'],
    ]) {
      const r = await tm([...args, '--database-url', 'postgres://u:secret-pw@127.attacker.example:5432/app']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        `error TM_RESET_REMOTE refusing to ${args[1]} a database that is not on this machine (127.attacker.example, from --database-url)`,
      );
    }
  });

  it.skipIf(!hostnameIsLocal)("accepts this machine's own name, which resolves to one of its addresses", async () => {
    const r = await tm(['db', 'reset', '--yes', '--json', '--database-url', url(server.db()).replace('@127.0.0.1:', `@${hostname()}:`)]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ database: server.db(), migrations: 1 });
  });

  it('judges hosts by their resolved addresses', async () => {
    expect(await isOnThisMachine('127.attacker.example')).toBe(false);
    expect(await isOnThisMachine('127.0.0.1')).toBe(true);
    expect(await isOnThisMachine('[::1]')).toBe(true);
    expect(await isOnThisMachine('/var/run/postgresql')).toBe(true);
    expect(await isOnThisMachine('localhost')).toBe(true);
    expect(await isOnThisMachine('192.0.2.200')).toBe(false); // TEST-NET-1, nobody's address here
    // The spelling-only test (for hints) no longer takes a 127. prefix for an address either.
    expect(isLocalHost('127.attacker.example')).toBe(false);
    expect(isLocalHost('127.0.0.2')).toBe(true);
  });
});

describe('hostile database state', () => {
  it('a history row with a NULL applied_at, or an altered column, is a one-line error (exit 6), not a crash', async () => {
    const target = url(server.db());
    expect((await tm(['db', 'migrate', '--database-url', target])).code).toBe(0);
    await q('ALTER TABLE tm_schema_migrations ALTER COLUMN applied_at DROP NOT NULL; UPDATE tm_schema_migrations SET applied_at = NULL');
    for (const args of [
      ['db', 'status'],
      ['db', 'migrate'],
    ]) {
      const r = await tm([...args, '--database-url', target]);
      expect(r.code, r.stderr).toBe(6);
      expect(r.stderr).toMatch(
        /^error TM_HISTORY_DAMAGED the migration history \(tm_schema_migrations\) was altered: the row of version 1 has no applied_at; nothing was run$/m,
      );
      expect(r.stderr).not.toContain('TM_INTERNAL');
    }
    await q('UPDATE tm_schema_migrations SET applied_at = now(); ALTER TABLE tm_schema_migrations RENAME COLUMN checksum TO sha');
    const renamed = await tm(['db', 'migrate', '--database-url', target]);
    expect(renamed.code, renamed.stderr).toBe(6);
    expect(renamed.stderr).toMatch(/TM_HISTORY_DAMAGED .*its columns are not the ones tm records .*column "checksum" does not exist/);
    await q("ALTER TABLE tm_schema_migrations RENAME COLUMN sha TO checksum; ALTER TABLE tm_schema_migrations ALTER COLUMN duration_ms TYPE text USING 'fast'");
    const retyped = await tm(['db', 'status', '--database-url', target]);
    expect(retyped.code, retyped.stderr).toBe(6);
    expect(retyped.stderr).toContain('TM_HISTORY_DAMAGED');
  });

  it('two resets of one database at once: the second waits for the first, both finish, the database is whole', async () => {
    // A migration that takes a moment, so the two runs overlap.
    const dir = join(server.project().dir, 'db', 'migrations');
    await writeFile(join(dir, '002_slow.sql'), '-- migrate:up\nSELECT pg_sleep(0.5);\nCREATE TABLE slow (id int);\n-- migrate:down\nDROP TABLE slow;\n');
    try {
      const target = url(server.db());
      const runs = await Promise.all([1, 2, 3].map(() => tm(['db', 'reset', '--yes', '--database-url', target])));
      for (const r of runs) {
        expect(r.stderr).not.toContain('TM_INTERNAL');
        expect(r.code, r.stderr).toBe(0);
      }
      expect(await tablesIn('public')).toEqual(['items', 'slow', 'tm_schema_migrations']);
      expect((await tm(['db', 'status', '--exit-code', '--database-url', target])).code).toBe(0);
    } finally {
      await rm(join(dir, '002_slow.sql'));
    }
  });
});
