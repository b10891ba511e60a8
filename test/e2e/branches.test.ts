import { execa } from 'execa';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectsPerTest, TM, type TempProject } from '../helpers/project.js';
import { postgresProgram } from '../helpers/postgres-bin.js';

// Branch databases and the schema time machine, the way a user meets them: a real git
// repository (the real `git` binary), a real Postgres started by `tm up` from local binaries,
// branches made, switched and deleted with git while tm follows.

const PSQL = await postgresProgram('psql');
const { project } = projectsPerTest();

const CONTRACT = `env:
  DATABASE_URL: { type: postgres-url, required: true }
`;

async function git(p: TempProject, ...args: string[]) {
  return execa('git', args, { cwd: p.dir, env: { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
}

/** A project in a git repository on branch main, with one migration committed. */
async function repo(db: string): Promise<TempProject> {
  const p = await project({ extra: `${CONTRACT}db:\n${db}` });
  await writeFile(join(p.dir, '.gitignore'), '.taskmaster/\n.env\n');
  await migration(p, '20240101000000_users', 'CREATE TABLE users (id int);', 'DROP TABLE users;');
  await git(p, 'init', '-q', '-b', 'main');
  await git(p, 'add', '-A');
  await git(p, 'commit', '-qm', 'users');
  return p;
}

async function migration(p: TempProject, name: string, up: string, down?: string) {
  await mkdir(join(p.dir, 'db/migrations'), { recursive: true });
  await writeFile(join(p.dir, 'db/migrations', `${name}.sql`), `-- migrate:up\n${up}\n${down ? `-- migrate:down\n${down}\n` : ''}`);
}

async function psql(p: TempProject, db: string, sql: string): Promise<string> {
  const r = await execa(PSQL, ['-h', '127.0.0.1', '-p', String(p.pgPort), '-U', 'demo_user', '-d', db, '-tAc', sql], {
    env: { PGPASSWORD: 'pw-demo-secret' },
    reject: false,
  });
  if (r.exitCode !== 0) throw new Error(`psql on ${db}: ${r.stderr}`);
  return r.stdout.trim();
}

async function ok(p: TempProject, args: string[], env?: NodeJS.ProcessEnv) {
  const r = await p.tm(args, { env });
  expect(r.exitCode, `tm ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

const envLine = async (p: TempProject) => /^DATABASE_URL=(.*)$/m.exec(await readFile(join(p.dir, '.env'), 'utf8'))?.[1];
const statusJson = async (p: TempProject) => JSON.parse((await ok(p, ['db', 'status', '--json'])).stdout);

describe('branch databases (db.branches: true)', () => {
  it("keeps each branch's migrations in its own database, lists them, and prunes the deleted branch's", async () => {
    const p = await repo('  branches: true\n');
    await ok(p, ['up']);
    expect(await envLine(p)).toBe(`postgres://demo_user:pw-demo-secret@127.0.0.1:${p.pgPort}/demo_db`);

    await git(p, 'checkout', '-q', '-b', 'feature/Login-Page');
    // Not made yet: the doctor (read-only) says when it will be, and makes nothing.
    const doctor = JSON.parse((await p.tm(['doctor', '--json'])).stdout);
    const pending = doctor.findings.find((f: { id: string }) => f.id === 'migrations');
    expect([pending.status, pending.detail]).toEqual([
      'ok',
      'not checked: the database of branch feature/Login-Page (demo_db__feature_login_page) is made by the next tm up or tm db command',
    ]);
    await migration(p, '20240102000000_sessions', 'CREATE TABLE sessions (id int);');
    await git(p, 'add', '-A');
    await git(p, 'commit', '-qm', 'sessions');
    const migrated = await ok(p, ['db', 'migrate']);
    expect(migrated.stderr).toContain('made database demo_db__feature_login_page for branch feature/Login-Page, copied from demo_db');
    expect(await envLine(p)).toBe(`postgres://demo_user:pw-demo-secret@127.0.0.1:${p.pgPort}/demo_db__feature_login_page`);
    const onBranch = await statusJson(p);
    expect([onBranch.database, onBranch.applied, onBranch.pending, onBranch.missing, onBranch.diverged]).toEqual([
      'demo_db__feature_login_page',
      2,
      0,
      0,
      null,
    ]);
    expect(await psql(p, 'demo_db__feature_login_page', "SELECT to_regclass('sessions') IS NOT NULL")).toBe('t');

    await git(p, 'checkout', '-q', 'main');
    // Main's database has no trace of the branch's migration: no table, no history row.
    expect(await psql(p, 'demo_db', "SELECT to_regclass('sessions') IS NULL")).toBe('t');
    expect(await psql(p, 'demo_db', "SELECT string_agg(version, ',') FROM tm_schema_migrations")).toBe('20240101000000');
    const onMain = await statusJson(p);
    expect([onMain.database, onMain.applied, onMain.pending, onMain.missing, onMain.diverged]).toEqual(['demo_db', 1, 0, 0, null]);
    // The status command put .env back on main's database (no hook installed here).
    expect(await envLine(p)).toBe(`postgres://demo_user:pw-demo-secret@127.0.0.1:${p.pgPort}/demo_db`);

    const listed = JSON.parse((await ok(p, ['db', 'branches', '--json'])).stdout);
    expect(
      listed.databases.map((d: { branch: string; database: string; current: boolean; live: boolean }) => [d.branch, d.database, d.current, d.live]),
    ).toEqual([
      ['main', 'demo_db', true, true],
      ['feature/Login-Page', 'demo_db__feature_login_page', false, true],
    ]);
    expect(listed.databases[1].size_bytes).toBeGreaterThan(0);
    expect(Date.parse(listed.databases[1].used_at)).toBeGreaterThan(Date.now() - 120_000);

    await git(p, 'branch', '-q', '-D', 'feature/Login-Page');
    const asked = await p.tm(['db', 'branches', '--prune']);
    expect(asked.exitCode).toBe(2);
    expect(asked.stderr).toContain('TM_NEEDS_YES');
    expect(await psql(p, 'demo_db', "SELECT count(*) FROM pg_database WHERE datname = 'demo_db__feature_login_page'")).toBe('1');
    const pruned = JSON.parse((await ok(p, ['db', 'branches', '--prune', '--yes', '--json'])).stdout);
    expect(pruned.pruned.map((d: { database: string }) => d.database)).toEqual(['demo_db__feature_login_page']);
    expect(await psql(p, 'demo_db', "SELECT count(*) FROM pg_database WHERE datname LIKE 'demo_db%'")).toBe('1');
    expect(await psql(p, 'demo_db', "SELECT to_regclass('users') IS NOT NULL")).toBe('t');
  });

  it('copies a new branch from the branch it came from, and the post-checkout hook switches .env on checkout', async () => {
    const p = await repo('  branches: true\n');
    await ok(p, ['up']);
    // A hook of the user's own stays and still runs; tm's lines are added after it.
    const hook = join(p.dir, '.git/hooks/post-checkout');
    const ran = join(p.dir, '.git/user-hook-ran');
    await writeFile(hook, `#!/bin/sh\necho "$3" >> "${ran}"\n`);
    await chmod(hook, 0o755);
    // `tm` on PATH, as an installed tm is (inside .git: not part of the commits).
    const bin = join(p.dir, '.git/tm-bin');
    await mkdir(bin);
    await writeFile(join(bin, 'tm'), `#!/bin/sh\nexec "${process.execPath}" "${TM}" "$@"\n`, { mode: 0o755 });
    const installed = JSON.parse((await ok(p, ['hooks', 'install', '--json'])).stdout);
    expect(installed.action).toBe('appended');
    expect(JSON.parse((await ok(p, ['hooks', 'install', '--json'])).stdout).action).toBe('unchanged');
    const withTm = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const gitHooked = (...args: string[]) =>
      execa('git', args, {
        cwd: p.dir,
        env: { ...withTm, GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t' },
      });

    await gitHooked('checkout', '-q', '-b', 'one');
    expect(await envLine(p)).toBe(`postgres://demo_user:pw-demo-secret@127.0.0.1:${p.pgPort}/demo_db__one`);
    await migration(p, '20240102000000_one', 'CREATE TABLE one_only (id int);');
    await gitHooked('add', '-A');
    await gitHooked('commit', '-qm', 'one');
    await ok(p, ['db', 'migrate']);
    // two is made from one (where it was checked out from), with one's table.
    const made = await gitHooked('checkout', '-b', 'two');
    expect(made.stderr).toContain('copied from demo_db__one');
    expect(await psql(p, 'demo_db__two', "SELECT to_regclass('one_only') IS NOT NULL")).toBe('t');
    await gitHooked('checkout', '-q', 'main');
    expect(await envLine(p)).toBe(`postgres://demo_user:pw-demo-secret@127.0.0.1:${p.pgPort}/demo_db`);
    expect((await readFile(ran, 'utf8')).trim().split('\n')).toEqual(['1', '1', '1']);
    // A file checkout ($3 = 0) changes nothing.
    await gitHooked('checkout', 'two', '--', 'db');
    expect(await envLine(p)).toBe(`postgres://demo_user:pw-demo-secret@127.0.0.1:${p.pgPort}/demo_db`);

    // Without tm on PATH the hook does nothing; tm up then makes the database before migrating into it.
    await git(p, 'checkout', '-q', '-b', 'three', 'two');
    expect(await envLine(p)).toBe(`postgres://demo_user:pw-demo-secret@127.0.0.1:${p.pgPort}/demo_db`);
    const up = JSON.parse((await ok(p, ['up', '--json'])).stdout);
    expect([up.branch.database, up.branch.created.from, up.branch.env.map((c: { key: string }) => c.key)]).toEqual([
      'demo_db__three',
      'demo_db__two',
      ['DATABASE_URL'],
    ]);
    expect(await envLine(p)).toBe(`postgres://demo_user:pw-demo-secret@127.0.0.1:${p.pgPort}/demo_db__three`);
  });

  it('refuses to extend a hook it cannot safely append to, and says what to add', async () => {
    const p = await repo('  branches: true\n');
    await git(p, 'config', 'core.hooksPath', '.husky');
    await mkdir(join(p.dir, '.husky'));
    await writeFile(join(p.dir, '.husky/post-checkout'), '#!/usr/bin/env node\nconsole.log("mine")\n', { mode: 0o755 });
    const r = await p.tm(['hooks', 'install']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('TM_HOOK_EXISTS');
    expect(r.stderr).toContain('hooks run post-checkout "$@"');
    expect(await readFile(join(p.dir, '.husky/post-checkout'), 'utf8')).toBe('#!/usr/bin/env node\nconsole.log("mine")\n');
  });
});

describe('tm init --branches', () => {
  it('turns db.branches on and installs the hook in a git work tree', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tm-init-branches-'));
    try {
      await execa('git', ['init', '-q', '-b', 'main'], { cwd: dir });
      const r = await execa(process.execPath, [TM, 'init', '--yes', '--branches', '--no-install', '--json'], {
        cwd: dir,
        reject: false,
        env: { NO_COLOR: '1' },
      });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).hook.file).toBe(join(dir, '.git/hooks/post-checkout'));
      expect(await readFile(join(dir, 'taskmaster.yml'), 'utf8')).toMatch(/^ {2}branches: true /m);
      expect(await readFile(join(dir, '.git/hooks/post-checkout'), 'utf8')).toContain("tm -C '.' hooks run post-checkout");
      // The doctor sees it installed.
      const doctor = await execa(process.execPath, [TM, 'doctor', '--json'], { cwd: dir, reject: false, env: { NO_COLOR: '1' } });
      const finding = JSON.parse(doctor.stdout).findings.find((f: { id: string }) => f.id === 'branch-hook');
      expect([finding.status, finding.detail]).toEqual([
        'ok',
        `branch main uses database ${JSON.parse(r.stdout).name.replace(/-/g, '_')}; the post-checkout hook keeps .env on it`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('offers the hook through tm doctor --fix', async () => {
    const p = await repo('  branches: true\n');
    const before = JSON.parse((await p.tm(['doctor', '--json'])).stdout).findings.find((f: { id: string }) => f.id === 'branch-hook');
    expect([before.status, before.fix]).toEqual(['warn', 'tm hooks install']);
    await p.tm(['doctor', '--fix', '--json']);
    expect(await readFile(join(p.dir, '.git/hooks/post-checkout'), 'utf8')).toContain('hooks run post-checkout "$@"');
  });
});

describe('the schema time machine', () => {
  /** A project on one database for every branch (what poisons main without db.branches), with a branch that migrated. */
  async function poisoned(): Promise<TempProject> {
    const p = await repo('  templates: 3\n');
    await ok(p, ['up']);
    await git(p, 'checkout', '-q', '-b', 'feature');
    await migration(p, '20240102000000_orders', 'CREATE TABLE orders (id int);');
    await git(p, 'add', '-A');
    await git(p, 'commit', '-qm', 'orders');
    await ok(p, ['db', 'migrate']);
    return p;
  }

  it('says when the history is not a prefix of the files, which files, and that tm db reset fixes it', async () => {
    const p = await poisoned();
    await git(p, 'checkout', '-q', 'main');
    const status = await statusJson(p);
    expect(status.diverged.files.map((f: { version: string; state: string }) => [f.version, f.state])).toEqual([['20240102000000', 'missing']]);
    expect(status.diverged.fix).toContain('tm db reset');
    expect(status.diverged.fix).toContain('db.branches: true');
    const human = await p.tm(['db', 'status']);
    expect(human.stdout).toContain("the database's applied history is not a prefix of this checkout's migrations");
    expect(human.stdout).toContain('20240102000000_orders: applied to the database, but no such file in this checkout');
    await ok(p, ['db', 'reset', '--yes']);
    expect((await statusJson(p)).diverged).toBeNull();
    expect(await psql(p, 'demo_db', "SELECT to_regclass('orders') IS NULL")).toBe('t');
  });

  it("restores each branch's schema from its template when tm db reset runs after a checkout", async () => {
    const p = await poisoned();
    expect(JSON.parse((await ok(p, ['db', 'reset', '--yes', '--json'])).stdout).path).toBe('replay');
    await git(p, 'checkout', '-q', 'main');
    expect(JSON.parse((await ok(p, ['db', 'reset', '--yes', '--json'])).stdout).path).toBe('replay');
    // Back on the feature branch, its schema comes back from its template: no migration runs.
    await git(p, 'checkout', '-q', 'feature');
    const back = JSON.parse((await ok(p, ['db', 'reset', '--yes', '--json'])).stdout);
    expect([back.path, back.migrations]).toEqual(['template', 0]);
    expect(await psql(p, 'demo_db', "SELECT to_regclass('orders') IS NOT NULL")).toBe('t');
    expect((await statusJson(p)).diverged).toBeNull();
    await git(p, 'checkout', '-q', 'main');
    expect(JSON.parse((await ok(p, ['db', 'reset', '--yes', '--json'])).stdout).path).toBe('template');
    expect(await psql(p, 'demo_db', "SELECT count(*) FROM pg_database WHERE datname LIKE 'tm_tpl_%'")).toBe('2');
  });
});
