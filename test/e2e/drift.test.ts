import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { queryUrl } from '../helpers/database.js';
import { projectsPerTest, TM, type TempProject } from '../helpers/project.js';

// tm db drift as a user runs it: the built tm against real PostgreSQL (native runtime).
const { project } = projectsPerTest();

const INIT = `-- migrate:up
CREATE TABLE orders (id bigserial PRIMARY KEY, total numeric(10,2) NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX orders_created_idx ON orders (created_at);
-- migrate:down
DROP TABLE orders;
`;

/** A project with `files` in db/migrations, started (and so migrated). */
async function started(files: Record<string, string>): Promise<TempProject> {
  const p = await project({ name: 'drift' });
  await mkdir(join(p.dir, 'db', 'migrations'), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(p.dir, 'db', 'migrations', name), text);
  const up = await p.tm(['up']);
  expect(up.exitCode, up.stderr).toBe(0);
  return p;
}
const url = (p: TempProject, db = 'drift_db') => `postgres://drift_user:pw-drift-secret@127.0.0.1:${p.pgPort}/${db}`;
const scratchDatabases = async (p: TempProject) =>
  (await queryUrl<{ datname: string }>(url(p, 'postgres'), `SELECT datname FROM pg_database WHERE datname LIKE 'tm\\_drift\\_%'`)).map((r) => r.datname);

describe('tm db drift', () => {
  it('reports a column added by hand and a dropped index (exit 1); after tm db reset, nothing (exit 0)', async () => {
    const p = await started({ '001_init.sql': INIT });
    const clean = await p.tm(['db', 'drift']);
    expect(clean.exitCode, clean.stderr).toBe(0);
    expect(clean.stdout).toMatch(/^no drift: drift_db matches its migrations \(.*1 table, 3 columns.*\)$/m);

    await queryUrl(url(p), 'ALTER TABLE orders ADD COLUMN note text; DROP INDEX orders_created_idx');
    const r = await p.tm(['db', 'drift']);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      'column orders.note: live has it (text null), migrations do not',
      'index orders_created_idx on orders: migrations have it (btree (created_at)), live does not',
    ]);
    expect(r.stderr).toContain('error TM_SCHEMA_DRIFT the schema of drift_db differs from its migrations in 2 places');
    expect(r.stderr).toMatch(/hint: .*tm db new NAME.*tm db reset/);

    const json = await p.tm(['db', 'drift', '--json']);
    expect(json.exitCode).toBe(1);
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({ database: 'drift_db', drift: true, pending: 0, expected: { from: 'files', applied: 1 } });
    expect(doc.differences).toEqual([
      { kind: 'column', name: 'orders.note', live: 'text null', message: 'column orders.note: live has it (text null), migrations do not' },
      {
        kind: 'index',
        name: 'orders_created_idx on orders',
        expected: 'btree (created_at)',
        message: 'index orders_created_idx on orders: migrations have it (btree (created_at)), live does not',
      },
    ]);

    const reset = await p.tm(['db', 'reset', '--yes']);
    expect(reset.exitCode, reset.stderr).toBe(0);
    const after = await p.tm(['db', 'drift', '--json']);
    expect(after.exitCode, after.stderr).toBe(0);
    // Built from the template the reset left this time.
    expect(JSON.parse(after.stdout)).toMatchObject({ drift: false, differences: [], expected: { from: 'template', applied: 0 } });
    expect(await scratchDatabases(p)).toEqual([]);
  });

  it('tm doctor warns about drift, and tm ci --strict stops at its drift step', async () => {
    const p = await started({ '001_init.sql': INIT });
    // With reset's template the comparison reads it as it is: quick, well within the doctor's limit.
    expect((await p.tm(['db', 'reset', '--yes'])).exitCode).toBe(0);
    await queryUrl(url(p), 'ALTER TABLE orders ADD COLUMN note text; DROP INDEX orders_created_idx');
    // The doctor warns (a warning: exit 0 unless --strict), naming the differences.
    const doctor = JSON.parse((await p.tm(['doctor', '--json'])).stdout);
    expect(doctor.findings.find((f: { id: string }) => f.id === 'drift')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('2 difference(s) from the migrations: column orders.note: live has it'),
      fix: expect.stringContaining('tm db drift'),
    });

    // tm ci passes without --strict, and stops at the drift step with it.
    const ci = await p.tm(['ci'], { env: { CI: 'true' } });
    expect(ci.exitCode, ci.stderr).toBe(0);
    expect(ci.stderr).not.toMatch(/[✓✗] drift/);
    const strict = await p.tm(['ci', '--strict'], { env: { CI: 'true' } });
    expect(strict.exitCode, strict.stderr).toBe(1);
    expect(strict.stderr).toMatch(/✗ drift \(\d+ ms\): the schema of drift_db differs from its migrations in 2 places/);
    expect(strict.stderr).toContain('column orders.note: live has it (text null), migrations do not');
    expect(strict.stderr).toContain('error TM_CI_FAILED tm ci stopped at the drift step');
  });

  it('Ctrl-C while the expected schema is built: exit 130, and the scratch database is gone', async () => {
    const p = await started({ '001_init.sql': INIT, '002_slow.sql': '-- migrate:up\nSELECT pg_sleep(3);\n' });
    const drift = spawn(process.execPath, [TM, 'db', 'drift'], { cwd: p.dir, env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    drift.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => drift.on('exit', (code) => r(code)));
    for (let i = 0; i < 400 && (await scratchDatabases(p)).length === 0; i++) await delay(25);
    expect(await scratchDatabases(p)).toHaveLength(1);
    drift.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toContain('TM_INTERRUPTED');
    expect(await scratchDatabases(p)).toEqual([]);
  });
});
