import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, projectsPerTest, TM } from '../helpers/project.js';
import { postgresProgram } from '../helpers/postgres-bin.js';

const PSQL = await postgresProgram('psql');

// Secrets never reach output, logs or files others can read: checked on the built tm.
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function folder(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tm-secrets-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}
const tm = (dir: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  execa(process.execPath, [TM, ...args], { cwd: dir, reject: false, env: { NO_COLOR: '1', ...env } });

/** What a GitHub runner shows of a log: `::add-mask::` values (unescaped) hidden in every later line. */
function asGitHubShowsIt(log: string): string[] {
  const masks: string[] = [];
  const shown: string[] = [];
  for (const line of log.split('\n')) {
    if (line.startsWith('::add-mask::')) {
      masks.push(line.slice('::add-mask::'.length).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'));
      continue;
    }
    shown.push(masks.reduce((l, m) => (m && !m.includes('\n') ? l.split(m).join('***') : l), line));
  }
  return shown;
}

describe('tm ci on GitHub Actions', () => {
  it('registers every line of a multi-line secret (a PEM key) with ::add-mask::, so no line of it is shown', async () => {
    const { privateKey } = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const dir = await folder({
      'taskmaster.yml': 'name: pem\nenv:\n  SIGNING_PRIVATE_KEY: { type: secret, required: true }\n',
      '.env': `SIGNING_PRIVATE_KEY="${privateKey.trim()}"\n`,
    });
    const r = await tm(dir, ['ci', '--external'], { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: '' });
    expect(r.exitCode, r.stderr).toBe(0);
    const body = privateKey
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('-----'));
    expect(body.length).toBeGreaterThan(1);
    const shown = asGitHubShowsIt(`${r.stderr}\n${r.stdout}`).join('\n');
    for (const line of body) expect(shown).not.toContain(line);
    // Every line is registered before tm prints anything else.
    expect(r.stderr.split('\n').filter((l) => l.startsWith('::add-mask::')).length).toBeGreaterThanOrEqual(body.length);
  });
});

describe('passwords and the Postgres log', () => {
  const { project } = projectsPerTest();

  it('refuses a reserved pg_ role name up front (exit 3), before anything starts', async () => {
    const p = await project({ name: 'pgrole' });
    const file = join(p.dir, 'taskmaster.yml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('user: pgrole_user', 'user: pg_appuser'));
    const r = await p.tm(['up']);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/taskmaster\.yml:\d+:\d+ services\.postgres\.user: role names starting with "pg_" are reserved by PostgreSQL/);
    expect(existsSync(join(p.dir, '.taskmaster', 'logs', 'postgres.log'))).toBe(false);
  });

  it('never sends a password in SQL the server may log, even with log_statement = all', async () => {
    const p = await project({ name: 'pglog' });
    expect((await p.tm(['up'])).exitCode).toBe(0);
    // Someone turns on statement logging while debugging.
    const psql = (sql: string, password: string) =>
      execa(PSQL, ['-h', '127.0.0.1', '-p', String(p.pgPort), '-U', 'pglog_user', '-d', 'pglog_db', '-tAc', sql], { env: { PGPASSWORD: password } });
    await psql("ALTER SYSTEM SET log_statement = 'all'", 'pw-pglog-secret');
    expect((await p.tm(['down'])).exitCode).toBe(0);
    // A new password: tm sets it on the next start.
    const fresh = `rotated-${process.pid}-password`;
    const file = join(p.dir, 'taskmaster.yml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('pw-pglog-secret', fresh));
    const up = await p.tm(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect((await psql('SHOW log_statement', fresh)).stdout.trim()).toBe('all');
    const log = await readFile(join(p.dir, '.taskmaster', 'logs', 'postgres.log'), 'utf8');
    expect(log).toContain('statement: SHOW log_statement'); // statements are logged...
    expect(log).not.toContain(fresh); // ...but never the password
    expect(log).not.toContain('pw-pglog-secret');
  });

  it('keeps logs in a 0700 folder, each file 0600, also those an older tm left readable', async () => {
    const port = await freePort();
    const p = await project({
      name: 'modes',
      extra: `  web:\n    command: ["node", "-e", "require('http').createServer((q, r) => r.end('ok')).listen(${port})"]\n    port: ${port}\n`,
    });
    await mkdir(join(p.dir, '.taskmaster', 'logs'), { recursive: true, mode: 0o755 });
    await writeFile(join(p.dir, '.taskmaster', 'logs', 'redis.log'), 'old\n', { mode: 0o644 });
    const up = await p.tm(['up']);
    expect(up.exitCode, up.stderr).toBe(0);
    const mode = async (path: string) => ((await stat(path)).mode & 0o777).toString(8);
    expect(await mode(join(p.dir, '.taskmaster', 'logs'))).toBe('700');
    for (const log of ['postgres.log', 'redis.log', 'web.log']) expect(await mode(join(p.dir, '.taskmaster', 'logs', log)), log).toBe('600');
  });
});

describe('files that hold secrets', () => {
  const { project } = projectsPerTest();
  const mode = async (path: string) => ((await stat(path)).mode & 0o777).toString(8);

  it('tm render k8s --with-secrets writes secret.yaml with mode 0600, also over an older 0644 one', async () => {
    const dir = await folder({
      'taskmaster.yml': 'name: kube\nenv:\n  API_TOKEN: { type: secret, required: true }\n',
      '.env': 'API_TOKEN=tok-kube-secret-value\n',
    });
    await mkdir(join(dir, 'k8s'));
    await writeFile(join(dir, 'k8s', 'secret.yaml'), 'old\n', { mode: 0o644 });
    const r = await tm(dir, ['render', 'k8s', '--out', 'k8s', '--with-secrets']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await readFile(join(dir, 'k8s', 'secret.yaml'), 'utf8')).toContain('tok-kube-secret-value');
    expect(await mode(join(dir, 'k8s', 'secret.yaml'))).toBe('600');
    // Without secrets in it, it is an ordinary file.
    expect(await mode(join(dir, 'k8s', 'config.yaml'))).toBe('644');
  });

  it("Redis' config file with its password is 0600, also when an older tm left it 0644", async () => {
    const p = await project({ name: 'rconf' });
    const file = join(p.dir, 'taskmaster.yml');
    await writeFile(file, (await readFile(file, 'utf8')).replace(`port: ${p.redisPort} }`, `port: ${p.redisPort}, password: "redis-conf-secret" }`));
    await mkdir(join(p.dir, '.taskmaster', 'run'), { recursive: true });
    await writeFile(join(p.dir, '.taskmaster', 'run', 'redis.conf'), 'requirepass "old"\n', { mode: 0o644 });
    const up = await p.tm(['up', 'redis']);
    expect(up.exitCode, up.stderr).toBe(0);
    expect(await readFile(join(p.dir, '.taskmaster', 'run', 'redis.conf'), 'utf8')).toContain('redis-conf-secret');
    expect(await mode(join(p.dir, '.taskmaster', 'run', 'redis.conf'))).toBe('600');
  });
});

describe('short secrets', () => {
  it('masks a 5-character password in tm render compose --check, and warns that it is short', async () => {
    const dir = await folder({
      'taskmaster.yml': 'name: shortpw\nruntime: native\nservices:\n  postgres: { port: 5999, password: abc12 }\n',
      'compose.yml': 'services:\n  postgres:\n    environment:\n      POSTGRES_PASSWORD: abc12\n',
    });
    const r = await tm(dir, ['render', 'compose', '--check']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('POSTGRES_PASSWORD: ****');
    expect(`${r.stdout}${r.stderr}`).not.toContain('abc12');
    expect(r.stderr).toContain('warning services.postgres.password: is only 5 characters: it is masked wherever it appears in output');
  });

  it('masks a 5-character secret in tm logs', async () => {
    const dir = await folder({
      'taskmaster.yml': 'name: shortlog\nruntime: native\nservices:\n  redis: { port: 5998 }\nenv:\n  API_TOKEN: { type: secret }\n',
      '.env': 'API_TOKEN=ab1!x\n',
    });
    await mkdir(join(dir, '.taskmaster', 'logs'), { recursive: true });
    await writeFile(join(dir, '.taskmaster', 'logs', 'redis.log'), 'client sent token ab1!x\n');
    const r = await tm(dir, ['logs', 'redis']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('client sent token ****');
    expect(`${r.stdout}${r.stderr}`).not.toContain('ab1!x');
    expect(r.stderr).toMatch(/warning \.env:1 API_TOKEN: is only 5 characters/);
  });
});
