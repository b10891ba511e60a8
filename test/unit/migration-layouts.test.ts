import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFrom } from '../../src/config/load.js';
import { MIGRATION_LAYOUTS } from '../../src/config/schema.js';
import { layoutOfFolder, openMigrations } from '../../src/db/migrations/layouts.js';
import { compareVersions, normalizeVersion, unwrapTransaction, type MigrationFile, type Section } from '../../src/db/migrations/sql/file.js';

// The layouts tm reads, told apart by their file names, and what each turns its files into.

const FIXTURES = resolve(import.meta.dirname, '../fixtures/takeover');
const temps: string[] = [];
afterEach(async () => {
  for (const t of temps.splice(0)) await rm(t, { recursive: true, force: true });
});

/** A copy of a fixture repository with a taskmaster.yml naming its migrations folder. */
async function project(fixture: string | undefined, yml: string) {
  const dir = await mkdtemp(join(tmpdir(), 'tm-layouts-'));
  temps.push(dir);
  if (fixture) await cp(join(FIXTURES, fixture), dir, { recursive: true });
  return { dir, config: loadConfigFrom(join(dir, 'taskmaster.yml'), `name: app\n${yml}`, [], { env: {} }) };
}

describe('layoutOfFolder', () => {
  it('names the layout of each fixture repository from its file names', async () => {
    expect(layoutOfFolder(join(FIXTURES, 'express-dbmate/db/migrations'))).toBe('dbmate');
    expect(layoutOfFolder(join(FIXTURES, 'go-migrate/db/migrations'))).toBe('golang-migrate');
    expect(layoutOfFolder(join(FIXTURES, 'flyway/src/main/resources/db/migration'))).toBe('flyway');
    expect(layoutOfFolder(join(FIXTURES, 'express-dbmate/src'))).toBeUndefined();
    expect(layoutOfFolder(join(FIXTURES, 'no-such-folder'))).toBeUndefined();
  });

  it('knows a Prisma migrations folder, and a layout for every value db.layout takes', async () => {
    const { dir } = await project(undefined, '');
    await mkdir(join(dir, 'prisma/migrations/20240101000000_init'), { recursive: true });
    await writeFile(join(dir, 'prisma/migrations/20240101000000_init/migration.sql'), 'SELECT 1;\n');
    expect(layoutOfFolder(join(dir, 'prisma/migrations'))).toBe('prisma');
    await writeFile(join(dir, 'prisma/schema.prisma'), '');
    for (const layout of MIGRATION_LAYOUTS) {
      const { config } = await project(undefined, `db:\n  layout: ${layout}\n  prisma: ${join(dir, 'prisma')}\n`);
      expect((await openMigrations(config)).format).toBe(layout);
    }
  });
});

it('db.layout takes only the layouts tm reads', async () => {
  const err = await project(undefined, 'db:\n  layout: liquibase\n').catch((e) => e);
  expect(err.problems).toEqual([expect.objectContaining({ line: 3, message: 'expected one of dbmate, golang-migrate, flyway, prisma, got "liquibase"' })]);
});

describe('openMigrations', () => {
  it('reads golang-migrate pairs: the up file applies, the down file rolls back', async () => {
    const { config } = await project('go-migrate', 'db:\n  migrations: db/migrations\n');
    const m = await openMigrations(config);
    expect(m.format).toBe('golang-migrate');
    const files = (await m.files()) as MigrationFile[];
    expect(files.map((f) => [f.version, f.name, f.path])).toEqual([
      ['1', 'create_products', 'db/migrations/000001_create_products.up.sql'],
      ['2', 'create_stock', 'db/migrations/000002_create_stock.up.sql'],
      ['3', 'add_products_price', 'db/migrations/000003_add_products_price.up.sql'],
    ]);
    expect(files[0]!.down!.path).toBe('db/migrations/000001_create_products.down.sql');
    expect(files.map((f) => f.up.transaction)).toEqual([true, true, true]);
    // BEGIN/COMMIT around the whole file is left to tm's own transaction.
    expect(files[1]!.up.sql).not.toMatch(/BEGIN|COMMIT/);
    expect(files[1]!.up.sql).toContain('CREATE TABLE IF NOT EXISTS warehouses');
  });

  it('golang-migrate: a down file alone is refused; an empty one cannot roll back; tm db new continues the sequence', async () => {
    const { dir, config } = await project('go-migrate', 'db:\n  migrations: db/migrations\n');
    const m = await openMigrations(config);
    expect(await m.newFile!('add reorder level')).toBe('db/migrations/000004_add_reorder_level.up.sql');
    expect((await readdir(join(dir, 'db/migrations'))).filter((n) => n.startsWith('000004'))).toEqual([
      '000004_add_reorder_level.down.sql',
      '000004_add_reorder_level.up.sql',
    ]);
    expect(((await m.files()) as MigrationFile[]).at(-1)).toMatchObject({ version: '4', emptyDown: true });
    expect(((await m.files()) as MigrationFile[]).at(-1)!.down).toBeUndefined();
    // As golang-migrate runs it: one statement, outside a transaction.
    await writeFile(
      join(dir, 'db/migrations/000005_index_sku.up.sql'),
      '-- no lock on products\nCREATE INDEX CONCURRENTLY products_name_idx ON products (name);\n',
    );
    expect(((await m.files()) as MigrationFile[]).at(-1)!.up.transaction).toBe(false);
    await writeFile(join(dir, 'db/migrations/000009_orphan.down.sql'), 'DROP TABLE x;\n');
    await expect(m.files()).rejects.toThrow('db/migrations/000009_orphan.down.sql has no 000009_orphan.up.sql beside it');
  });

  it('reads Flyway scripts: dotted versions, U files as the down section, executeInTransaction=false', async () => {
    const MIG = 'src/main/resources/db/migration';
    const { dir, config } = await project('flyway', `db:\n  migrations: ${MIG}\n`);
    await writeFile(join(dir, MIG, 'V10__Index_entries.sql'), 'CREATE INDEX CONCURRENTLY entries_account_idx ON entries (account_id);\n');
    await writeFile(join(dir, MIG, 'V10__Index_entries.sql.conf'), 'executeInTransaction=false\n');
    const m = await openMigrations(config);
    expect(m.format).toBe('flyway');
    const files = (await m.files()) as MigrationFile[];
    expect(files.map((f) => [f.version, f.name, f.up.transaction])).toEqual([
      ['1', 'Create_accounts', true],
      ['1.1', 'Add_account_currency', true],
      ['2', 'Create_entries', true],
      ['10', 'Index_entries', false],
    ]);
    expect(files[2]!.down!.path).toBe(`${MIG}/U2__Create_entries.sql`);
    expect(await m.newFile!('add memo')).toBe(`${MIG}/V11__add_memo.sql`);
  });

  it('Flyway: repeatable scripts are refused, as is an undo without its migration', async () => {
    const MIG = 'sql';
    const { dir, config } = await project(undefined, `db:\n  migrations: ${MIG}\n`);
    await mkdir(join(dir, MIG));
    await writeFile(join(dir, MIG, 'V1__a.sql'), 'CREATE TABLE a (id int);\n');
    await writeFile(join(dir, MIG, 'U3__c.sql'), 'DROP TABLE c;\n');
    await expect((await openMigrations(config)).files()).rejects.toThrow('sql/U3__c.sql undoes version 3, which has no V file here');
    await writeFile(join(dir, MIG, 'R__views.sql'), 'CREATE VIEW v AS SELECT 1;\n');
    await expect((await openMigrations(config)).files()).rejects.toThrow("tm does not run Flyway's repeatable migrations: sql/R__views.sql");
  });
});

describe('versions', () => {
  it('compare numerically, part by part', () => {
    const sorted = ['2', '1.10', '1.2', '1', '10', '1.2.1', '0009'].sort(compareVersions);
    expect(sorted).toEqual(['1', '1.2', '1.2.1', '1.10', '2', '0009', '10']);
    expect(compareVersions('1.0', '1')).toBe(0);
    expect(compareVersions('20240101120000', '20240101120001')).toBeLessThan(0);
  });

  it('normalise without leading zeros and trailing zero parts', () => {
    expect(normalizeVersion('007')).toBe('7');
    expect(normalizeVersion('1.0')).toBe('1');
    expect(normalizeVersion('1.01.0')).toBe('1.1');
    expect(normalizeVersion('0')).toBe('0');
  });
});

describe('unwrapTransaction', () => {
  const section = (text: string): Section => ({ sql: text, path: 'x.sql', text, offset: 0, transaction: true });

  it('keeps the statements inside BEGIN ... COMMIT, where they are in the file', () => {
    const text = '-- stock tables\nBEGIN;\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\nCOMMIT;\n';
    const s = unwrapTransaction(section(text));
    expect(s.sql).toBe('\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\n');
    expect(text.slice(s.offset).startsWith(s.sql)).toBe(true);
  });

  it('leaves any other use of transaction control for the planner to refuse', () => {
    for (const text of [
      'BEGIN;\nCREATE TABLE a (id int);\nROLLBACK;\n',
      'CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n',
      'BEGIN;\nSELECT 1;\nCOMMIT;\nBEGIN;\nSELECT 2;\nCOMMIT;\n',
    ]) {
      expect(unwrapTransaction(section(text)).sql).toBe(text);
    }
  });
});
