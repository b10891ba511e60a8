import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { appendFile, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processesMentioning, tempProject, type TempProject } from '../helpers/project.js';

// The env contract through the real CLI, on real files.
const CONTRACT = `env:
  DATABASE_URL: { type: postgres-url, required: true }
  REDIS_URL: { type: redis-url, required: true }
  PORT: { type: port, required: true, example: "3000" }
  LOG_LEVEL: { enum: [error, warn, info, debug], default: info }
  SESSION_SECRET: { type: secret, min: 32, generate: true, description: signs sessions }
`;
const projects: TempProject[] = [];
async function project(password?: string) {
  const p = await tempProject({ name: 'envp', extra: CONTRACT, password });
  projects.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(projects.splice(0).map((p) => p.cleanup()));
});
const read = (p: TempProject, f: string) => readFile(resolve(p.dir, f), 'utf8');

describe('tm env check', () => {
  it('reports every problem of a bad .env at once with file:line (exit 3), and as JSON', async () => {
    const p = await project();
    await writeFile(resolve(p.dir, '.env'), 'DATABASE_URL=mysql://x/y\nPORT=http\n\nSESSION_SECRET=changeme\nbroken line\n');
    const r = await p.tm(['env', 'check']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('error TM_ENV_INVALID');
    expect(r.stderr).toMatch(/\.env:1 DATABASE_URL: expected a PostgreSQL URL/);
    expect(r.stderr).toMatch(/\.env:2 PORT: expected a port number, got "http"/);
    // Not set anywhere: pointed at its declaration in taskmaster.yml.
    const declared = (await read(p, 'taskmaster.yml')).split('\n').findIndex((l) => l.startsWith('  REDIS_URL:')) + 1;
    expect(r.stderr).toContain(`taskmaster.yml:${declared}:3 REDIS_URL: is required but not set`);
    expect(r.stderr).toMatch(/\.env:4 SESSION_SECRET: expected a secret of at least 32 characters/);
    expect(r.stderr).toMatch(/\.env:5 dotenv ignores this line/);
    const json = JSON.parse((await p.tm(['env', 'check', '--json'])).stdout);
    expect(json.valid).toBe(false);
    expect(json.problems.map((x: { path: string }) => x.path)).toEqual(['DATABASE_URL', 'REDIS_URL', 'PORT', 'SESSION_SECRET']);
  });
});

describe('tm env init', () => {
  it('writes .env with mode 0600 that passes the check, with generated secrets and service URLs', async () => {
    const p = await project();
    const r = await p.tm(['env', 'init']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await stat(resolve(p.dir, '.env'))).mode & 0o777).toBe(0o600);
    const env = await read(p, '.env');
    expect(env).toMatch(/^SESSION_SECRET=[A-Za-z0-9_-]{32}$/m);
    expect(env).toContain(`DATABASE_URL=postgres://envp_user:pw-envp-secret@127.0.0.1:${p.pgPort}/envp_db`);
    expect(env).toContain('# signs sessions\nSESSION_SECRET=');
    expect((await p.tm(['env', 'check'])).exitCode).toBe(0);
    // The generated secret is not printed.
    expect(r.stdout + r.stderr).not.toContain(/^SESSION_SECRET=(.*)$/m.exec(env)![1]);
  });

  it('leaves an existing .env alone; --merge appends missing keys only, byte for byte; --force keeps a backup', async () => {
    const p = await project();
    const original = '# mine\r\nPORT="8080" # keep my spacing\nSESSION_SECRET=my-own-very-long-secret-value-0123456789\n';
    await writeFile(resolve(p.dir, '.env'), original);
    const refused = await p.tm(['env', 'init']);
    expect(refused.exitCode).toBe(2);
    expect(await read(p, '.env')).toBe(original);

    expect((await p.tm(['env', 'init', '--merge'])).exitCode).toBe(0);
    const merged = await read(p, '.env');
    expect(merged.startsWith(original)).toBe(true);
    const added = merged.slice(original.length);
    expect(added).toMatch(/^DATABASE_URL=/m);
    expect(added).not.toMatch(/^(PORT|SESSION_SECRET)=/m);

    expect((await p.tm(['env', 'init', '--force'])).exitCode).toBe(0);
    const backups = (await readdir(p.dir)).filter((f) => f.startsWith('.env.backup-'));
    expect(backups).toHaveLength(1);
    expect(await read(p, backups[0]!)).toBe(merged);
    expect(await read(p, '.env')).toContain('SESSION_SECRET=my-own-very-long-secret-value-0123456789');
  });

  it('--force generates anew a secret the contract refuses (as the hint says), and keeps keys it does not know', async () => {
    const p = await project();
    await writeFile(resolve(p.dir, '.env'), '# my notes\nPORT=8080\nSESSION_SECRET=changeme\nMY_OWN_FLAG="keep me"\n');
    const check = await p.tm(['env', 'check']);
    expect(check.exitCode).toBe(3);
    expect(check.stderr).toMatch(/SESSION_SECRET: expected a secret of at least 32 characters; fix: tm env init --force generates a new one/);
    const r = await p.tm(['env', 'init', '--force']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('generated secrets: SESSION_SECRET');
    expect(r.stderr).toMatch(/1 comment line was not carried over; they are in \.env\.backup-/);
    const env = await read(p, '.env');
    expect(env).toMatch(/^SESSION_SECRET=[A-Za-z0-9_-]{32}$/m);
    expect(env).toMatch(/^PORT=8080$/m);
    expect(env).toMatch(/^MY_OWN_FLAG='keep me'$/m);
    expect((await p.tm(['env', 'check'])).exitCode).toBe(0);
  });

  it('reports the real mode of an .env it left unchanged', async () => {
    const p = await project();
    expect((await p.tm(['env', 'init'])).exitCode).toBe(0);
    const { chmod } = await import('node:fs/promises');
    await chmod(resolve(p.dir, '.env'), 0o644);
    const r = await p.tm(['env', 'init', '--merge']);
    expect(r.stdout).toContain('unchanged .env (0 keys written, mode 0644)');
    expect(r.stderr).toContain('chmod 600 .env');
  });

  it('never leaves a partial .env when the writer dies mid-write', async () => {
    const p = await project();
    const file = resolve(p.dir, '.env');
    const old = 'OLD=1\n';
    const size = 8 * 1024 * 1024;
    const next = `NEW=${'x'.repeat(size)}\n`;
    const writer = resolve(import.meta.dirname, '../../dist/env/write.js');
    const tmpFiles = () => readdirSync(p.dir).filter((f) => f.endsWith('.tmp'));
    let caughtMidWrite = 0;
    for (const extraMs of [0, 0, 1, 2, 5, 10]) {
      for (const f of tmpFiles()) await rm(resolve(p.dir, f));
      await writeFile(file, old);
      const child = spawn(process.execPath, [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(writer)}); await m.writeSecretFile(${JSON.stringify(file)}, 'NEW=' + 'x'.repeat(${size}) + '\\n');`,
      ]);
      const exited = new Promise((r) => child.on('exit', r));
      // Kill only once the writer has begun: its temp file exists or (a writer that is not
      // atomic) .env itself changed. Killing on a timer would mostly hit a process still starting.
      while (child.exitCode === null && tmpFiles().length === 0 && statSync(file).size === old.length) await new Promise((r) => setImmediate(r));
      if (extraMs) await new Promise((r) => setTimeout(r, extraMs));
      child.kill('SIGKILL');
      await exited;
      const now = await readFile(file, 'utf8');
      expect(now === old || now === next, `killed ${extraMs} ms after it began: ${now.length} bytes`).toBe(true);
      if (child.signalCode === 'SIGKILL' && now === old) caughtMidWrite++;
    }
    // Proof that the kills landed while writing (else this test could not fail).
    expect(caughtMidWrite).toBeGreaterThan(0);
  });
});

describe('tm env diff', () => {
  it('shows keys missing and extra in both directions (exit 1), and exit 0 when all agree', async () => {
    const p = await project();
    await writeFile(resolve(p.dir, '.env.example'), 'PORT=3000\nLEGACY_FLAG=1\n');
    await writeFile(resolve(p.dir, '.env'), 'PORT=3000\nLOCAL_ONLY=1\n');
    const r = await p.tm(['env', 'diff', '--json']);
    expect(r.exitCode).toBe(1);
    const d = JSON.parse(r.stdout);
    expect(d.missing_in_example).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'REDIS_URL', 'SESSION_SECRET']);
    expect(d.extra_in_example).toEqual(['LEGACY_FLAG']);
    expect(d.missing_in_env).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'REDIS_URL', 'SESSION_SECRET']);
    expect(d.extra_in_env).toEqual(['LOCAL_ONLY']);
    const human = await p.tm(['env', 'diff']);
    expect(human.stderr).toMatch(
      /^hint: tm render env-example --out \.env\.example rewrites \.env\.example from the contract; tm env init --merge adds the missing keys to \.env; /m,
    );
    await writeFile(resolve(p.dir, '.env'), 'DATABASE_URL=\nREDIS_URL=\nPORT=\nLOG_LEVEL=\nSESSION_SECRET=\n');
    // Only .env.example drifts: no --merge advice (it would not touch .env.example).
    expect((await p.tm(['env', 'diff'])).stderr).toMatch(/^hint: tm render env-example --out \.env\.example rewrites \.env\.example from the contract$/m);
    const keys = 'DATABASE_URL=\nREDIS_URL=\nPORT=\nLOG_LEVEL=\nSESSION_SECRET=\n';
    await writeFile(resolve(p.dir, '.env.example'), keys);
    await writeFile(resolve(p.dir, '.env'), keys);
    expect((await p.tm(['env', 'diff'])).exitCode).toBe(0);
  });
});

it('secrets never appear in any output of any command, except env show --reveal', async () => {
  const pgPassword = 'pg-Known-Secret-7781';
  const p = await project(pgPassword);
  const session = 'session-Known-Secret-0123456789abcdef';
  await writeFile(
    resolve(p.dir, '.env'),
    `DATABASE_URL=postgres://envp_user:${pgPassword}@127.0.0.1:${p.pgPort}/envp_db\n` +
      `REDIS_URL=redis://127.0.0.1:${p.redisPort}\nPORT=3000\nSESSION_SECRET=${session}\n`,
  );
  await writeFile(resolve(p.dir, 'bad.yml'), `name: x\nservices:\n  postgres: { password: "${pgPassword}", port: nope }\n`);
  // Each command with its exit code and a line showing it got as far as printing what holds
  // the secrets (a command that died early would leak nothing either).
  const masked = /postgres:\/\/envp_user:\*\*\*\*@127\.0\.0\.1/;
  const commands: [string[], number, RegExp][] = [
    [['up', '--json'], 0, masked],
    [['up'], 0, masked],
    [['status'], 0, masked],
    [['status', '--json'], 0, masked],
    [['health'], 0, /✓ +postgres +postgres:\/\/envp_user@127\.0\.0\.1/],
    [['health', '--json'], 0, /"status": "ok"/],
    [['logs', '--tail', '200'], 0, /^postgres \| /m],
    [['env', 'check'], 0, /env ok: 5 variable/],
    [['env', 'check', '--json'], 0, /"valid": true/],
    [['env', 'show'], 0, /SESSION_SECRET +\*\*\*\*/],
    [['env', 'show', '--json'], 0, /"key": "SESSION_SECRET",\n\s+"value": "\*\*\*\*"/],
    [['env', 'diff'], 1, /not in \.env: LOG_LEVEL/],
    [['env', 'init', '--merge'], 0, /merged \.env/],
    [['db', 'status'], 0, /0 applied, 0 pending/],
    [['db', 'status', '--json'], 0, /"applied": 0/],
    [['db', 'migrate', '--dry-run'], 0, /nothing to apply/],
    [['db', 'wait', '--verbose'], 0, /database is accepting connections/],
    [['--config', 'bad.yml', 'health', '--json'], 3, /services\.postgres\.port: expected a port number/],
    [
      ['db', 'status', '--database-url', `postgres://envp_user:${pgPassword}@127.0.0.1:1/nope`],
      4,
      /TM_DB_UNREACHABLE cannot connect to the database \(--database-url\)/,
    ],
    [['restart', 'redis'], 0, /redis +started/],
    [['down'], 0, /postgres: stopped/],
  ];
  for (const [args, exit, reached] of commands) {
    const r = await p.tm(args);
    const shown = r.stdout + r.stderr;
    expect(r.exitCode, `tm ${args.join(' ')}: ${shown}`).toBe(exit);
    expect(shown, `tm ${args.join(' ')}`).toMatch(reached);
    for (const secret of [pgPassword, session]) expect(shown, `tm ${args.join(' ')}`).not.toContain(secret);
  }
  const revealed = await p.tm(['env', 'show', '--reveal']);
  expect(revealed.stdout).toContain(session);
  expect(revealed.stdout).toContain(pgPassword);

  // Secret-like names with values the contract refuses: the message would quote them (cut to
  // 60 characters, or JSON-escaped, so masking the exact value would not catch them).
  const token = `tok_iIa5T1iEi${'Q'.repeat(57)}`;
  const dbPassword = 'sh"ort\\pass12';
  await appendFile(resolve(p.dir, 'taskmaster.yml'), '  API_TOKEN: { type: url }\n  DB_PASSWORD: { type: string, min: 50 }\n');
  await appendFile(resolve(p.dir, '.env'), `API_TOKEN=${token}\nDB_PASSWORD='${dbPassword}'\n`);
  const summary = resolve(p.dir, 'summary.md');
  const github = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary };
  const invalid: [string[], NodeJS.ProcessEnv?][] = [
    [['env', 'check']],
    [['env', 'check', '--json']],
    [['doctor']],
    [['doctor', '--json']],
    [['ci'], github],
    [['ci', '--json'], github],
    [['ci', '--external'], github],
    [['up']],
    [['up', '--json']],
    [['env', 'show']],
    [['env', 'show', '--json']],
  ];
  const leaks = [token.slice(0, 12), dbPassword, JSON.stringify(dbPassword).slice(1, -1), 'ort\\pass', pgPassword, session];
  for (const [args, env] of invalid) {
    const r = await p.tm(args, { env });
    if (args[0] === 'env' && args[1] === 'check') expect(r.exitCode).toBe(3);
    // ::add-mask:: is the one line that must carry the value (GitHub never shows it).
    const shown = `${r.stdout}\n${r.stderr}`
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
    // The problem is reported (a command that failed before reaching it would leak nothing either).
    for (const key of ['API_TOKEN', 'DB_PASSWORD']) expect(shown, `tm ${args.join(' ')}`).toContain(key);
    for (const leak of leaks) expect(shown, `tm ${args.join(' ')}`).not.toContain(leak);
  }
  for (const leak of leaks) expect(await readFile(summary, 'utf8')).not.toContain(leak);
  const check = JSON.parse((await p.tm(['env', 'check', '--json'])).stdout);
  expect(check.problems.map((x: { path: string }) => x.path)).toEqual(['API_TOKEN', 'DB_PASSWORD']);
});

it('tm up refuses an environment that does not match the contract (exit 3) and starts nothing', async () => {
  const p = await project();
  await writeFile(resolve(p.dir, '.env'), 'PORT=http\n');
  const r = await p.tm(['up']);
  expect(r.exitCode).toBe(3);
  expect(r.stderr).toContain('error TM_ENV_INVALID');
  expect(r.stderr).toMatch(/\.env:1 PORT: expected a port number/);
  expect(await processesMentioning(p.dir)).toEqual([]);
});

it('expands ${VAR} and ${VAR:-default} in .env as dotenv-expand does', async () => {
  const p = await project();
  await writeFile(
    resolve(p.dir, '.env'),
    'PGHOST=db.internal\nDATABASE_URL=postgres://u@${PGHOST}:5432/app\nREDIS_URL=redis://${REDIS_HOST:-127.0.0.1}:6379\nLOG_LEVEL=${LEVEL:-debug}\nPORT=3000\n',
  );
  const values = async (env?: NodeJS.ProcessEnv) =>
    Object.fromEntries(
      JSON.parse((await p.tm(['env', 'show', '--json'], { env })).stdout).variables.map((v: { key: string; value: string }) => [v.key, v.value]),
    );
  expect(await values()).toMatchObject({ DATABASE_URL: 'postgres://u@db.internal:5432/app', REDIS_URL: 'redis://127.0.0.1:6379', LOG_LEVEL: 'debug' });
  expect(await values({ LEVEL: 'warn', REDIS_HOST: 'cache' })).toMatchObject({ REDIS_URL: 'redis://cache:6379', LOG_LEVEL: 'warn' });
  expect((await p.tm(['env', 'check'], { env: { LEVEL: 'loud' } })).stderr).toMatch(/\.env:4 LOG_LEVEL: expected one of error, warn, info, debug, got "loud"/);
});

describe('the passwords in .env and the services agree', () => {
  const PASSWORDS = `env:
  POSTGRES_PASSWORD: { type: secret, generate: true, min: 24 }
  DATABASE_URL: { type: postgres-url, required: true }
`;
  const parsed = async (p: TempProject) => (await import('dotenv')).parse(await read(p, '.env'));
  const passwordOf = (url: string) => decodeURIComponent(new URL(url).password);

  it('env init --force keeps DATABASE_URL on the password it generates anew; a disagreement fails env check and doctor, naming both places', async () => {
    const p = await tempProject({ name: 'agree', extra: PASSWORDS, password: '${POSTGRES_PASSWORD}' });
    projects.push(p);
    expect((await p.tm(['env', 'init'])).exitCode).toBe(0);
    // A password the contract refuses (too short), the URL agreeing with it, and a value with a carriage return.
    const short = 'short-pw';
    await writeFile(
      resolve(p.dir, '.env'),
      `POSTGRES_PASSWORD=${short}\nDATABASE_URL=postgres://agree_user:${short}@127.0.0.1:${p.pgPort}/agree_db?application_name=x\nNOTE="a\\rb"\n`,
    );
    const init = await p.tm(['env', 'init', '--force']);
    expect(init.exitCode, init.stderr).toBe(0);
    const env = await parsed(p);
    expect(env.POSTGRES_PASSWORD).not.toBe(short);
    expect(passwordOf(env.DATABASE_URL!)).toBe(env.POSTGRES_PASSWORD);
    expect(new URL(env.DATABASE_URL!).search).toBe('?application_name=x'); // the rest of the URL is kept
    expect(env.NOTE).toBe('a\rb');
    expect((await p.tm(['env', 'check'])).exitCode).toBe(0);

    // The URL's password drifts from the service's: both commands say so, without either value.
    const drifted = (await read(p, '.env')).replace(`:${env.POSTGRES_PASSWORD}@`, ':other-password-entirely@');
    await writeFile(resolve(p.dir, '.env'), drifted);
    const check = await p.tm(['env', 'check']);
    expect(check.exitCode).toBe(3);
    expect(check.stderr).toMatch(/\.env:\d+ DATABASE_URL: its password differs from services\.postgres in taskmaster\.yml/);
    const doctor = await p.tm(['doctor']);
    expect(doctor.exitCode).toBe(1);
    expect(doctor.stdout).toContain('DATABASE_URL: its password differs from services.postgres');
    for (const out of [check.stdout, check.stderr, doctor.stdout, doctor.stderr]) {
      expect(out).not.toContain('other-password-entirely');
      expect(out).not.toContain(env.POSTGRES_PASSWORD);
    }
  });

  it('tm doctor fails when a server tm runs refuses the configured login', async () => {
    const p = await project();
    expect((await p.tm(['up', '--no-migrate'])).exitCode).toBe(0);
    // The server keeps its role's password; the config now says another (and .env agrees with it).
    const yml = await read(p, 'taskmaster.yml');
    await writeFile(resolve(p.dir, 'taskmaster.yml'), yml.replace('pw-envp-secret', 'pw-envp-changed'));
    await writeFile(resolve(p.dir, '.env'), (await read(p, '.env')).replaceAll('pw-envp-secret', 'pw-envp-changed'));
    const doctor = await p.tm(['doctor']);
    expect(doctor.stdout).toMatch(/\[✗\] services answer: postgres: .*password authentication failed/);
    expect(doctor.exitCode).toBe(1);
  });
});
