import { execa } from 'execa';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempProject, TM, type TempProject } from '../helpers/project.js';

// tm ci against Postgres and Redis started outside it (another project's tm up stands in
// for GitHub Actions service containers), and the shell completion in a real bash.
let services: TempProject;
let dir: string;
let databaseUrl: string;
let redisUrl: string;

beforeAll(async () => {
  services = await tempProject({ name: 'external' });
  expect((await services.tm(['up'])).exitCode).toBe(0);
  redisUrl = `redis://127.0.0.1:${services.redisPort}`;
});
afterAll(async () => {
  await services?.cleanup();
});
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

let n = 0;
/** A project of its own, with a fresh database on the external server. */
async function project(files: Record<string, string>) {
  dir = await mkdtemp(join(tmpdir(), 'tm-ci-'));
  const db = `ci_${n++}`;
  const admin = new pg.Client(`postgres://external_user:pw-external-secret@127.0.0.1:${services.pgPort}/external_db`);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  await admin.end();
  databaseUrl = `postgres://external_user:pw-external-secret@127.0.0.1:${services.pgPort}/${db}`;
  await writeFile(join(dir, 'taskmaster.yml'), 'name: app\nenv:\n  DATABASE_URL: { type: postgres-url, required: true }\n  PORT: { type: port, required: true }\n');
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}
const ci = async (args: string[], env: Record<string, string> = {}) => {
  const summary = join(dir, 'summary.md');
  const r = await execa(process.execPath, [TM, 'ci', '--external', ...args], {
    cwd: dir,
    reject: false,
    env: { NO_COLOR: '1', GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, ...env },
  });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), summary: await readFile(summary, 'utf8').catch(() => '') };
};

describe('tm ci', () => {
  it('annotates an invalid .env variable at its line, writes the step summary, exits 3', async () => {
    await project({ '.env': 'PORT=http\n' });
    const r = await ci([], { DATABASE_URL: databaseUrl });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^::error file=\.env,line=1,title=TM_ENV_INVALID::PORT: expected a port number, got "http"/m);
    expect(r.stdout).toContain('::group::tm ci: env');
    expect(r.summary).toContain('| env | ❌ failed |');
  });

  it('runs every step against external services and exits 0; --json events parse line by line', async () => {
    await project({
      '.env': 'PORT=3000\n',
      'db/migrations/001_t.sql': 'CREATE TABLE IF NOT EXISTS ci_t (id int);',
      'db/seeds/test/01_rows.sql': 'INSERT INTO ci_t VALUES (1);',
    });
    const r = await ci([]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.summary).toMatch(/\| env \| ✅ ok \|[\s\S]*\| services \| ✅ ok \|[\s\S]*\| migrate \| ✅ ok \|[\s\S]*\| seed \| ✅ ok \|[\s\S]*\| health \| ✅ ok \|/);
    // Only GitHub's ::add-mask:: line carries the value (GitHub never shows that line).
    const shown = (r.stdout + r.stderr).split('\n').filter((l) => !l.startsWith('::add-mask::'));
    expect(r.stdout).toContain('::add-mask::pw-external-secret');
    expect(shown.join('\n')).not.toContain('pw-external-secret');
    await writeFile(join(dir, 'db/seeds/test/01_rows.sql'), 'INSERT INTO ci_t VALUES (2);');
    const json = await ci(['--json'], { GITHUB_ACTIONS: '' });
    expect(json.code).toBe(0);
    const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.filter((e) => e.type === 'step-end').map((e) => [e.step, e.status])).toEqual([
      ['env', 'ok'],
      ['services', 'ok'],
      ['migrate', 'ok'],
      ['seed', 'ok'],
      ['health', 'ok'],
    ]);
    expect(events.every((e) => typeof e.at === 'string')).toBe(true);
  });

  it('annotates a failing migration at the SQL file and line', async () => {
    await project({ '.env': 'PORT=3000\n', 'db/migrations/900_bad.sql': '-- migrate:up\nSELECT 1;\nSELECT * FROM no_such_table;\n' });
    const r = await ci([]);
    expect(r.code).toBe(6);
    expect(r.stdout).toMatch(/^::error file=db\/migrations\/900_bad\.sql,line=3,col=15,title=TM_MIGRATION_FAILED::relation "no_such_table" does not exist/m);
  });
});

describe('tm completion bash', () => {
  it('completes commands and service names in a real bash', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'tm-bin-'));
    await writeFile(join(bin, 'tm'), `#!/bin/sh\nexec "${process.execPath}" "${TM}" "$@"\n`);
    await chmod(join(bin, 'tm'), 0o755);
    const script = (await execa(process.execPath, [TM, 'completion', 'bash'])).stdout;
    await writeFile(join(bin, 'tm.bash'), script);
    const complete = async (...words: string[]) => {
      const r = await execa('bash', ['-c', `source "${bin}/tm.bash"; COMP_WORDS=(${words.map((w) => `"${w}"`).join(' ')}); COMP_CWORD=${words.length - 1}; _tm_complete; printf '%s\\n' "\${COMPREPLY[@]}"`], {
        cwd: services.dir,
        env: { PATH: `${bin}:${process.env.PATH}` },
      });
      return r.stdout.split('\n').filter(Boolean).sort();
    };
    expect(await complete('tm', 'd')).toEqual(['db', 'doctor', 'down']);
    expect(await complete('tm', 'logs', '')).toEqual(['postgres', 'redis']);
    expect(await complete('tm', 'db', 're')).toEqual(['redo', 'repair', 'reset', 'resolve', 'restore']);
    await rm(bin, { recursive: true, force: true });
  });
});
