import { describe, expect, it } from 'vitest';
import { parseMigration } from '../../src/db/migrations/dbmate.js';
import { inVersionOrder } from '../../src/db/migrations/sql/file.js';
import { compare } from '../../src/db/migrations/sql/plan.js';
import { statusReport } from '../../src/db/migrations/sql/migrations.js';

// dbmate's files: the version and name come from the file name, the sections from the markers.

const parse = (name: string, text: string) => parseMigration(name, `db/migrations/${name}`, text);

describe('parseMigration', () => {
  it('reads the version (as a number) and the name from the file name', () => {
    expect(parse('20240101120000_create_users.sql', 'SELECT 1;')).toMatchObject({
      version: '20240101120000',
      name: 'create_users',
      path: 'db/migrations/20240101120000_create_users.sql',
    });
    expect(parse('007_seven.sql', 'SELECT 1;')).toMatchObject({ version: '7', name: 'seven' });
    expect(parse('42.sql', 'SELECT 1;')).toMatchObject({ version: '42', name: '' });
  });

  it('takes a file without markers as all up, with no down', () => {
    const m = parse('1_a.sql', 'CREATE TABLE a (id int);\n');
    expect(m.up).toMatchObject({ sql: 'CREATE TABLE a (id int);\n', offset: 0, transaction: true, path: 'db/migrations/1_a.sql' });
    expect(m.down).toBeUndefined();
  });

  it('splits up and down at the markers, keeping where each section starts in the file', () => {
    const text = '-- a comment\n-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n';
    const m = parse('1_a.sql', text);
    expect(m.up.sql).toBe('\nCREATE TABLE a (id int);\n');
    expect(m.down!.sql).toBe('\nDROP TABLE a;\n');
    expect(text.slice(m.up.offset).startsWith(m.up.sql)).toBe(true);
    expect(text.slice(m.down!.offset).startsWith(m.down!.sql)).toBe(true);
    expect(m.down!.text).toBe(text);
  });

  it('reads transaction:false after a marker', () => {
    const m = parse('1_a.sql', '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON a (id);\n-- migrate:down\nDROP INDEX i;\n');
    expect(m.up.transaction).toBe(false);
    expect(m.down!.transaction).toBe(true);
  });

  it('takes a down section with nothing but comments as no down section', () => {
    expect(parse('1_a.sql', '-- migrate:up\nSELECT 1;\n-- migrate:down\n-- nothing to undo\n/* really */\n').down).toBeUndefined();
  });

  it('refuses two markers of one kind, and a down section without an up section', () => {
    expect(() => parse('1_a.sql', '-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n')).toThrow(
      expect.objectContaining({ code: 'TM_MIGRATION_INVALID', exit: 6, message: 'db/migrations/1_a.sql: more than one "-- migrate:up" marker' }),
    );
    expect(() => parse('1_a.sql', '-- migrate:down\nDROP TABLE a;\n')).toThrow(
      expect.objectContaining({ code: 'TM_MIGRATION_INVALID', hint: expect.stringContaining('-- migrate:up') }),
    );
  });

  it('checksums the text with CRLF line endings counted as LF', () => {
    const lf = parse('1_a.sql', 'SELECT 1;\nSELECT 2;\n');
    expect(parse('1_a.sql', 'SELECT 1;\r\nSELECT 2;\r\n').checksum).toBe(lf.checksum);
    expect(parse('1_a.sql', 'SELECT 1;\nSELECT 3;\n').checksum).not.toBe(lf.checksum);
    expect(lf.checksum).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('inVersionOrder', () => {
  it('sorts numerically and refuses two files with one version', () => {
    expect(inVersionOrder([parse('10_c.sql', ''), parse('9_b.sql', ''), parse('1_a.sql', '')]).map((f) => f.name)).toEqual(['a', 'b', 'c']);
    expect(() => inVersionOrder([parse('1_a.sql', ''), parse('001_b.sql', '')])).toThrow(
      expect.objectContaining({ code: 'TM_MIGRATION_DUPLICATE', message: 'two migrations have version 1: db/migrations/1_a.sql and db/migrations/001_b.sql' }),
    );
  });
});

describe('statusReport (SQL)', () => {
  const at = new Date('2024-01-01T00:00:00Z');
  const [a, b, c] = [parse('1_a.sql', 'SELECT 1;'), parse('2_b.sql', 'SELECT 2;'), parse('3_c.sql', 'SELECT 3;')];
  const history = (...files: (typeof a)[]) => files.map((f) => ({ version: f.version, name: f.name, checksum: f.checksum, applied_at: at, duration_ms: 1 }));

  it('counts pending and out-of-order files as pending; --exit-code fails only then', () => {
    const report = statusReport(compare([a, b, c], history(a, c)));
    expect(report.json).toMatchObject({ applied: 2, pending: 1, edited: 0, missing: 0 });
    expect(report.summary).toBe('2 applied, 1 pending');
    expect(report.verdict({})).toBeUndefined();
    expect(report.verdict({ exitCode: true })).toMatchObject({
      code: 'TM_MIGRATIONS_PENDING',
      exit: 1,
      message: '1 pending migration',
      hint: expect.stringContaining('--allow-out-of-order'),
    });
    expect(statusReport(compare([a, b], history(a, b))).verdict({ exitCode: true, strict: true })).toBeUndefined();
  });

  it('names edited and missing files as what blocks migrate, and points at repair', () => {
    const report = statusReport(compare([{ ...a, checksum: 'changed' }], history(a, b)));
    expect(report.broken.map((r) => [r.version, r.state])).toEqual([
      ['1', 'edited'],
      ['2', 'missing'],
    ]);
    expect(report.summary).toBe('0 applied, 0 pending, 1 edited, 1 missing');
    expect(report.verdict({ exitCode: true })).toMatchObject({
      message: '0 pending migrations and history problems',
      hint: expect.stringContaining('tm db repair'),
    });
  });
});

describe('tm db new beside a Prisma schema', () => {
  it('refuses an SQL file that would never be applied, naming the Prisma command that writes the first migration', async () => {
    const { mkdir, mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadConfig } = await import('../../src/config/load.js');
    const { newMigration } = await import('../../src/db/migrations/dbmate.js');
    const dir = await mkdtemp(join(tmpdir(), 'tm-prisma-new-'));
    try {
      await writeFile(join(dir, 'taskmaster.yml'), 'name: p\nservices:\n  postgres: {}\n');
      await mkdir(join(dir, 'prisma'));
      await writeFile(join(dir, 'prisma', 'schema.prisma'), 'datasource db { provider = "postgresql" }\n');
      const config = await loadConfig({ cwd: dir, env: {} });
      await expect(newMigration(config, 'add tags')).rejects.toMatchObject({
        code: 'TM_PRISMA_UNSUPPORTED',
        hint: expect.stringContaining('prisma migrate dev --create-only --name add_tags'),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
