import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project.js';

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
    expect(r.stderr).toMatch(/\.env REDIS_URL: is required but not set/);
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

  it('never leaves a partial .env when the writer dies mid-write', async () => {
    const p = await project();
    const file = resolve(p.dir, '.env');
    const old = 'OLD=1\n';
    const next = `NEW=${'x'.repeat(8 * 1024 * 1024)}\n`;
    const writer = resolve(import.meta.dirname, '../../dist/env/write.js');
    for (const delay of [0, 2, 5, 10, 20, 40]) {
      await writeFile(file, old);
      const child = spawn(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(writer)}); await m.writeSecretFile(${JSON.stringify(file)}, 'NEW=' + 'x'.repeat(${8 * 1024 * 1024}) + '\\n');`]);
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
      const now = await readFile(file, 'utf8');
      expect(now === old || now === next, `after ${delay} ms: ${now.length} bytes`).toBe(true);
    }
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
    `DATABASE_URL=postgres://envp_user:${pgPassword}@127.0.0.1:${p.pgPort}/envp_db\nREDIS_URL=redis://127.0.0.1:${p.redisPort}\nPORT=3000\nSESSION_SECRET=${session}\n`,
  );
  await writeFile(resolve(p.dir, 'bad.yml'), `name: x\nservices:\n  postgres: { password: "${pgPassword}", port: nope }\n`);
  const commands = [
    ['up', '--json'],
    ['up'],
    ['status'],
    ['status', '--json'],
    ['health'],
    ['health', '--json'],
    ['logs', '--tail', '200'],
    ['env', 'check'],
    ['env', 'check', '--json'],
    ['env', 'show'],
    ['env', 'show', '--json'],
    ['env', 'diff'],
    ['env', 'init', '--merge'],
    ['db', 'status'],
    ['db', 'status', '--json'],
    ['db', 'migrate', '--dry-run'],
    ['db', 'wait', '--verbose'],
    ['--config', 'bad.yml', 'health', '--json'],
    ['db', 'status', '--database-url', `postgres://envp_user:${pgPassword}@127.0.0.1:1/nope`],
    ['restart', 'redis'],
    ['down'],
  ];
  for (const args of commands) {
    const r = await p.tm(args);
    for (const secret of [pgPassword, session]) expect(r.stdout + r.stderr, `tm ${args.join(' ')}`).not.toContain(secret);
  }
  const revealed = await p.tm(['env', 'show', '--reveal']);
  expect(revealed.stdout).toContain(session);
  expect(revealed.stdout).toContain(pgPassword);
});
