import { describe, expect, it } from 'vitest';
import { parseMigration } from '../../src/db/migrations/dbmate.js';
import type { MigrationFile } from '../../src/db/migrations/sql/file.js';
import type { AppliedMigration } from '../../src/db/migrations/sql/history.js';
import { checkVersion, compare, planMigrate, planRollback } from '../../src/db/migrations/sql/plan.js';

// The planner decides what migrate and rollback run, from files and history alone.

const file = (name: string, text = `-- migrate:up\nCREATE TABLE t${name.split('_')[0]} (id int);\n-- migrate:down\nDROP TABLE t${name.split('_')[0]};\n`) =>
  parseMigration(name, `db/migrations/${name}`, text);
const applied = (f: MigrationFile, checksum = f.checksum): AppliedMigration => ({
  version: f.version,
  name: f.name,
  checksum,
  applied_at: new Date('2024-01-01T00:00:00Z'),
  duration_ms: 3,
});
const versions = (files: MigrationFile[]) => files.map((f) => f.version);

describe('compare', () => {
  it('puts files and history side by side in version order', () => {
    const [a, b, c, d] = [file('1_a.sql'), file('2_b.sql'), file('3_c.sql'), file('4_d.sql')];
    const gone = { version: '5', name: 'gone', checksum: 'x', applied_at: new Date('2024-01-02T00:00:00Z'), duration_ms: 1 };
    const rows = compare(
      [a!, b!, d!, c!].sort((x, y) => Number(x.version) - Number(y.version)),
      [applied(a!), applied(b!, 'old'), applied(d!), gone],
    );
    expect(rows.map((r) => [r.version, r.state])).toEqual([
      ['1', 'applied'],
      ['2', 'edited'],
      ['3', 'out-of-order'],
      ['4', 'applied'],
      ['5', 'missing'],
    ]);
    expect(rows[1]).toMatchObject({ recorded_checksum: 'old', file_checksum: b!.checksum, path: 'db/migrations/2_b.sql' });
    expect(rows[4]).toMatchObject({ name: 'gone', applied_at: '2024-01-02T00:00:00.000Z' });
    expect(rows[4]!.path).toBeUndefined();
  });

  it('calls files newer than the newest applied one pending', () => {
    const [a, b] = [file('1_a.sql'), file('2_b.sql')];
    expect(compare([a!, b!], []).map((r) => r.state)).toEqual(['pending', 'pending']);
    expect(compare([a!, b!], [applied(a!)]).map((r) => r.state)).toEqual(['applied', 'pending']);
  });
});

describe('planMigrate', () => {
  const files = [file('1_a.sql'), file('2_b.sql'), file('10_c.sql')];

  it('plans the pending files in numeric version order, up to --to', () => {
    expect(versions(planMigrate(files, []))).toEqual(['1', '2', '10']);
    expect(versions(planMigrate(files, [applied(files[0]!)]))).toEqual(['2', '10']);
    expect(versions(planMigrate(files, [], { to: '2' }))).toEqual(['1', '2']);
    expect(
      versions(
        planMigrate(
          files,
          files.map((f) => applied(f)),
        ),
      ),
    ).toEqual([]);
  });

  it('refuses before anything runs when an applied file was edited or removed', () => {
    const gone = { version: '3', name: 'gone', checksum: 'x', applied_at: new Date(), duration_ms: 1 };
    let err: unknown;
    try {
      planMigrate([files[0]!, files[1]!], [applied(files[0]!, 'a'.repeat(64)), applied(files[1]!), gone]);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'TM_MIGRATION_INTEGRITY', exit: 6 });
    const e = err as { problems: { file?: string; message: string }[]; hint: string };
    expect(e.problems).toEqual([
      {
        file: 'db/migrations/1_a.sql',
        message: `was edited after it was applied (recorded sha256 aaaaaaaaaaaa…, file now ${files[0]!.checksum.slice(0, 12)}…)`,
      },
      { message: 'migration 3_gone was applied but its file is gone' },
    ]);
    expect(e.hint).toContain('tm db repair');
  });

  it('refuses a never-applied file older than the newest applied one, unless allowed', () => {
    const history = [applied(files[0]!), applied(files[2]!)];
    expect(() => planMigrate(files, history)).toThrow(
      expect.objectContaining({ code: 'TM_MIGRATION_INTEGRITY', hint: expect.stringContaining('--allow-out-of-order') }),
    );
    expect(versions(planMigrate(files, history, { allowOutOfOrder: true }))).toEqual(['2']);
  });

  it('refuses BEGIN/COMMIT in a section tm already wraps in a transaction, naming line and column', () => {
    const own = file('3_own.sql', '-- migrate:up\nCREATE TABLE x (id int);\n  COMMIT;\n');
    expect(() => planMigrate([own], [])).toThrow(
      expect.objectContaining({ code: 'TM_MIGRATION_INVALID', problems: [expect.objectContaining({ file: 'db/migrations/3_own.sql', line: 3, column: 3 })] }),
    );
    const outside = file('3_own.sql', '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON x (id);\nCOMMIT;\n');
    expect(versions(planMigrate([outside], []))).toEqual(['3']);
  });

  it('does not look at files it will not run', () => {
    const own = file('3_own.sql', '-- migrate:up\nBEGIN;\nSELECT 1;\nCOMMIT;\n');
    expect(versions(planMigrate([files[0]!, own], [], { to: '1' }))).toEqual(['1']);
  });
});

describe('planRollback', () => {
  const files = [file('1_a.sql'), file('2_b.sql'), file('3_c.sql')];
  const history = files.map((f) => applied(f));

  it('rolls back the newest first: one by default, --steps N, or everything after --to', () => {
    expect(versions(planRollback(files, history))).toEqual(['3']);
    expect(versions(planRollback(files, history, { steps: 2 }))).toEqual(['3', '2']);
    expect(versions(planRollback(files, history, { to: '1' }))).toEqual(['3', '2']);
    expect(versions(planRollback(files, []))).toEqual([]);
  });

  it('refuses a file without a down section, an edited one and one that is gone', () => {
    const noDown = file('3_c.sql', 'CREATE TABLE c (id int);');
    expect(() => planRollback([files[0]!, files[1]!, noDown], [...history.slice(0, 2), applied(noDown)])).toThrow(
      expect.objectContaining({
        code: 'TM_ROLLBACK_REFUSED',
        exit: 6,
        problems: [expect.objectContaining({ message: expect.stringContaining('no "-- migrate:down" section') })],
      }),
    );
    expect(() => planRollback(files, [...history.slice(0, 2), applied(files[2]!, 'other')])).toThrow(
      expect.objectContaining({ problems: [expect.objectContaining({ message: expect.stringContaining('edited') })] }),
    );
    expect(() => planRollback(files.slice(0, 2), history)).toThrow(
      expect.objectContaining({ problems: [{ message: 'migration 3_c has no file to roll back with' }] }),
    );
  });

  it('says a down section is empty (as tm db new writes it), not missing', () => {
    const empty = file('3_c.sql', '-- migrate:up\nCREATE TABLE c (id int);\n\n-- migrate:down\n\n');
    expect(() => planRollback([empty], [applied(empty)])).toThrow(
      expect.objectContaining({
        problems: [expect.objectContaining({ message: expect.stringMatching(/^its "-- migrate:down" section is empty, so it cannot be rolled back/) })],
      }),
    );
  });

  it('refuses transaction control in a down section it wraps', () => {
    const own = file('3_c.sql', '-- migrate:up\nSELECT 1;\n-- migrate:down\nDROP TABLE c;\nCOMMIT;\n');
    expect(() => planRollback([own], [applied(own)])).toThrow(
      expect.objectContaining({ code: 'TM_MIGRATION_INVALID', problems: [expect.objectContaining({ line: 5, column: 1 })] }),
    );
  });
});

describe('checkVersion', () => {
  it('takes the leading digits of a file name, and refuses anything else as a usage error', () => {
    expect(checkVersion('20240101120000')).toBe('20240101120000');
    expect(checkVersion(undefined)).toBeUndefined();
    expect(() => checkVersion('2024_init')).toThrow(
      expect.objectContaining({ code: 'TM_USAGE', exit: 2, message: '--to: "2024_init" is not a migration version' }),
    );
    expect(() => checkVersion('x', 'VERSION')).toThrow(expect.objectContaining({ message: expect.stringMatching(/^VERSION: /) }));
  });
});
