import { execa } from 'execa';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, tempProject, TM, type TempProject } from '../helpers/project.js';

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
  await writeFile(
    join(dir, 'taskmaster.yml'),
    'name: app\nenv:\n  DATABASE_URL: { type: postgres-url, required: true }\n  PORT: { type: port, required: true }\n',
  );
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}
/** `tm ci --external` as GitHub runs it; a variable given as undefined is left out. */
const ci = async (args: string[], env: Record<string, string | undefined> = {}, opts: { cwd?: string; global?: string[] } = {}) => {
  const summary = join(dir, 'summary.md');
  const full: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: '1',
    GITHUB_ACTIONS: 'true',
    GITHUB_STEP_SUMMARY: summary,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    ...env,
  };
  for (const k of Object.keys(full)) if (full[k] === undefined) delete full[k];
  const r = await execa(process.execPath, [TM, ...(opts.global ?? []), 'ci', '--external', ...args], {
    cwd: opts.cwd ?? dir,
    reject: false,
    env: full,
    extendEnv: false,
  });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), summary: await readFile(summary, 'utf8').catch(() => '') };
};
const stepEnds = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((e) => e.type === 'step-end');

describe('tm ci', () => {
  it('annotates an invalid .env variable at its line, writes the step summary, exits 3', async () => {
    await project({ '.env': 'PORT=http\n' });
    const r = await ci([], { DATABASE_URL: databaseUrl });
    expect(r.code).toBe(3);
    // Workflow commands go to stderr (GitHub reads both streams): stdout is the result.
    expect(r.stderr).toMatch(/^::error file=\.env,line=1,title=TM_ENV_INVALID::PORT: expected a port number, got "http"/m);
    expect(r.stderr).toContain('::group::tm ci: env');
    expect(r.stdout).not.toContain('::');
    // The summary says why the step failed, not only that it did.
    expect(r.summary).toMatch(/\| env \| ❌ failed: TM_ENV_INVALID: .+ \| \d+ ms \|/);
  });

  it('a port taken on the machine: the services step names the holder, as tm up does', async () => {
    const p = await tempProject({ name: 'cibusy' });
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(p.pgPort, '127.0.0.1', r));
    try {
      // --ports fixed: taskmaster.yml's ports or nothing (else this stack would take a block of its own).
      const r = await p.tm(['ci', '--ports', 'fixed'], { env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: join(p.dir, 'summary.md') } });
      expect(r.exitCode, r.stderr).toBe(4);
      expect(r.stderr).toContain(`postgres: port ${p.pgPort} is taken by pid ${process.pid}`);
      expect(r.stderr).toMatch(new RegExp(`::error title=TM_PORT_TAKEN::.*%0Apostgres: port ${p.pgPort} is taken by pid ${process.pid}`));
    } finally {
      blocker.close();
      await p.cleanup();
    }
  });

  it('runs every step against external services and exits 0; --json events parse line by line, also on GitHub', async () => {
    await project({
      '.env': 'PORT=3000\n',
      'db/migrations/001_t.sql': 'CREATE TABLE IF NOT EXISTS ci_t (id int);',
      'db/seeds/test/01_rows.sql': 'INSERT INTO ci_t VALUES (1);',
    });
    const r = await ci([]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.summary).toMatch(
      new RegExp(['config', 'env', 'services', 'migrate', 'seed', 'health'].map((step) => String.raw`\| ${step} \| ✅ ok \|`).join(String.raw`[\s\S]*`)),
    );
    // Only GitHub's ::add-mask:: line carries the value (GitHub never shows that line).
    const shown = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => !l.startsWith('::add-mask::'));
    expect(r.stderr).toContain('::add-mask::pw-external-secret');
    expect(shown.join('\n')).not.toContain('pw-external-secret');
    await writeFile(join(dir, 'db/seeds/test/01_rows.sql'), 'INSERT INTO ci_t VALUES (2);');
    const json = await ci(['--json']);
    expect(json.code).toBe(0);
    expect(json.stderr).toContain('::add-mask::pw-external-secret');
    const events = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.filter((e) => e.type === 'step-end').map((e) => [e.step, e.status])).toEqual([
      ['config', 'ok'],
      ['env', 'ok'],
      ['services', 'ok'],
      ['migrate', 'ok'],
      ['seed', 'ok'],
      ['health', 'ok'],
    ]);
    expect(events.every((e) => typeof e.at === 'string')).toBe(true);
    // The health step probes both services again (it used to report ok without a probe).
    expect(events.find((e) => e.type === 'step-end' && e.step === 'health').detail).toMatch(/^database \d+ ms, redis \d+ ms$/);
  });

  it('annotates a failing migration at the SQL file and line (property values escaped)', async () => {
    await project({ '.env': 'PORT=3000\n', 'db/migrations/900_bad,one.sql': '-- migrate:up\nSELECT 1;\nSELECT * FROM no_such_table;\n' });
    const r = await ci([]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(
      /^::error file=db\/migrations\/900_bad%2Cone\.sql,line=3,col=15,title=TM_MIGRATION_FAILED::relation "no_such_table" does not exist/m,
    );
  });

  it('--external finds Redis as the env contract does: REDIS_URL in .env, else services.redis; fails when it does not answer', async () => {
    const dead = await freePort();
    await project({ '.env': `PORT=3000\nREDIS_URL=redis://127.0.0.1:${dead}\n` });
    const down = await ci(['--timeout', '1s'], { REDIS_URL: undefined });
    expect(down.code, down.stderr).toBe(5);
    expect(down.stderr).toMatch(/::error title=TM_HEALTH_TIMEOUT::redis not ready after 1(\.0)? ?s: connect ECONNREFUSED/);
    expect(down.summary).toContain('| services | ❌ failed: TM_HEALTH_TIMEOUT: redis not ready');

    await writeFile(join(dir, '.env'), 'PORT=3000\n');
    await writeFile(
      join(dir, 'taskmaster.yml'),
      `name: app\nservices:\n  redis: { port: ${services.redisPort} }\nenv:\n  DATABASE_URL: ` +
        `{ type: postgres-url, required: true }\n  PORT: { type: port, required: true }\n`,
    );
    const up = await ci(['--json'], { REDIS_URL: undefined });
    expect(up.code, up.stderr).toBe(0);
    expect(stepEnds(up.stdout).find((e) => e.step === 'services').detail).toContain('redis (services.redis)');
  });

  it('creates .env on a fresh clone as tm up does, and masks the generated secrets', async () => {
    await project({
      'taskmaster.yml':
        'name: app\nenv:\n  DATABASE_URL: { type: postgres-url, required: true }\n  SESSION_SECRET: { type: secret, generate: true, required: true }\n',
    });
    const r = await ci([]);
    expect(r.code, r.stderr).toBe(0);
    const secret = /^SESSION_SECRET=(\S+)$/m.exec(await readFile(join(dir, '.env'), 'utf8'))?.[1];
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(r.stderr.split('\n')).toContain(`::add-mask::${secret}`);
    expect(
      `${r.stdout}\n${r.stderr}`
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n'),
    ).not.toContain(secret!);
  });

  it('annotates a variable that is not set at its declaration, and an invalid config at its line; paths relative to the workspace', async () => {
    await project({ '.env': '' });
    const where = { cwd: tmpdir(), global: ['-C', dir] };
    const workspace = { GITHUB_WORKSPACE: dirname(dir) };
    const unset = await ci([], workspace, where);
    expect(unset.code).toBe(3);
    expect(unset.stderr).toMatch(
      new RegExp(`^::error file=${basename(dir)}/taskmaster\\.yml,line=4,col=3,title=TM_ENV_INVALID::PORT: is required but not set`, 'm'),
    );

    await writeFile(join(dir, 'taskmaster.yml'), 'name: app\nservices:\n  redis: { port: nope }\n');
    const broken = await ci([], workspace, where);
    expect(broken.code).toBe(3);
    expect(broken.stderr).toMatch(
      new RegExp(`^::error file=${basename(dir)}/taskmaster\\.yml,line=3,col=\\d+,title=TM_CONFIG_INVALID::services\\.redis\\.port: `, 'm'),
    );
    expect(broken.summary).toContain('| config | ❌ failed: TM_CONFIG_INVALID: taskmaster.yml has 1 problem |');
  });
});

describe('tm completion', () => {
  let bin: string;
  beforeAll(async () => {
    bin = await mkdtemp(join(tmpdir(), 'tm-bin-'));
    await writeFile(join(bin, 'tm'), `#!/bin/sh\nexec "${process.execPath}" "${TM}" "$@"\n`);
    await chmod(join(bin, 'tm'), 0o755);
    for (const shell of ['bash', 'zsh', 'fish']) await writeFile(join(bin, `tm.${shell}`), (await execa(process.execPath, [TM, 'completion', shell])).stdout);
  });
  afterAll(async () => {
    await rm(bin, { recursive: true, force: true });
  });
  const run = (shell: string, script: string, cwd = services.dir) =>
    execa(shell, ['-c', script], { cwd, env: { PATH: `${bin}:${process.env.PATH}`, HOME: bin } });
  const words = (list: string[]) => list.map((w) => `"${w}"`).join(' ');

  it('bash: completes commands, subcommands, options and service names, after global options too', async () => {
    const complete = async (...w: string[]) => {
      const r = await run(
        'bash',
        `source "${bin}/tm.bash"; COMP_WORDS=(${words(w)}); COMP_CWORD=${w.length - 1}; _tm_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
        tmpdir(),
      );
      return r.stdout.split('\n').filter(Boolean).sort();
    };
    expect(await complete('tm', 'd')).toEqual(['db', 'doctor', 'down']);
    expect(await complete('tm', '--json', 'd')).toEqual(['db', 'doctor', 'down']);
    expect(await complete('tm', '-C', services.dir, 'logs', '')).toEqual(['postgres', 'redis']);
    expect(await complete('tm', 'db', 're')).toEqual(['redo', 'repair', 'reset', 'resolve', 'restore']);
    expect(await complete('tm', 'db', 'migrate', '--d')).toEqual(['--database-url', '--dry-run']);
    expect(await complete('tm', 'render', 'k')).toEqual(['k8s']);
  });

  it('zsh: the script parses and runs through bashcompinit', async (ctx) => {
    if ((await execa('sh', ['-c', 'command -v zsh'], { reject: false })).exitCode !== 0) return ctx.skip('zsh is not installed here');
    expect((await execa('zsh', ['-n', join(bin, 'tm.zsh')], { reject: false })).exitCode).toBe(0);
    // Outside a real completion zsh's compgen does not filter by the prefix: only the service list is compared.
    const r = await run(
      'zsh',
      `source "${bin}/tm.zsh"; setopt ksharrays; COMP_WORDS=(tm -C "${services.dir}" logs ""); COMP_CWORD=4; _tm_complete; print -l -- "\${COMPREPLY[@]}"`,
      tmpdir(),
    );
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['postgres', 'redis']);
  });

  it('fish: the script parses and completes commands, options and service names', async (ctx) => {
    if ((await execa('sh', ['-c', 'command -v fish'], { reject: false })).exitCode !== 0) return ctx.skip('fish is not installed here');
    expect((await execa('fish', ['-n', join(bin, 'tm.fish')], { reject: false })).exitCode).toBe(0);
    const complete = async (line: string) => {
      const r = await run('fish', `source "${bin}/tm.fish"; complete -C ${JSON.stringify(line)}`);
      return r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0])
        .sort();
    };
    expect(await complete('tm d')).toEqual(['db', 'doctor', 'down']);
    expect(await complete('tm logs ')).toEqual(['postgres', 'redis']);
    expect(await complete('tm db migrate --d')).toEqual(['--database-url', '--dry-run']);
    expect(await complete('tm db status --e')).toEqual(['--exit-code']);
  });
});
