import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { TmError } from '../../src/errors.js';

const parse = (source: string, vars: Record<string, string> = {}) => parseConfig(source, { file: '/p/taskmaster.yml', root: '/p/my-app', vars, displayFile: 'taskmaster.yml' });
function problemsOf(source: string): TmError {
  try {
    parse(source);
  } catch (err) {
    return err as TmError;
  }
  throw new Error('expected the config to be refused');
}

describe('parseConfig', () => {
  it('accepts an empty file with defaults', () => {
    const c = parse('');
    expect(c.name).toBe('my-app');
    expect(c.runtime).toBe('auto');
    expect(c.services).toEqual([]);
    expect(c.db).toEqual({ migrations: 'db/migrations', seeds: 'db/seeds' });
    expect(c.projectId).toMatch(/^my-app-[0-9a-f]{8}$/);
  });

  it('fills service defaults and keeps file order', () => {
    const c = parse('name: shop\nservices:\n  redis: {}\n  postgres: {}\n  api: { command: npm start, port: "3000" }\n');
    expect(c.services.map((s) => [s.name, s.kind])).toEqual([
      ['redis', 'redis'],
      ['postgres', 'postgres'],
      ['api', 'app'],
    ]);
    expect(c.services[1]).toMatchObject({ image: 'postgres:16-alpine', port: 5432, user: 'postgres', database: 'shop', host: '127.0.0.1' });
    expect(c.services[0]).toMatchObject({ image: 'redis:7-alpine', port: 6379, persistence: 'aof' });
    expect(c.services[2]).toMatchObject({ port: 3000, depends_on: [] });
  });

  it('expands ${VAR}, ${VAR:-default}, ${VAR-default} and $$', () => {
    const c = parse(
      'services:\n  postgres:\n    password: "${PW}"\n    user: "${U:-app}"\n    database: "${EMPTY-keep}x$$y"\n    port: "${PORT:-6543}"\n',
      { PW: 's3cret', EMPTY: '' },
    );
    expect(c.services[0]).toMatchObject({ password: 's3cret', user: 'app', database: 'x$y', port: 6543 });
  });

  it('reports an unset variable as a warning with its line', () => {
    const c = parse('services:\n  postgres:\n    password: "${NOPE}"\n');
    expect(c.warnings).toEqual([expect.objectContaining({ line: 3, column: 15, path: 'services.postgres.password', message: expect.stringContaining('${NOPE} is not set') })]);
  });

  it('refuses with every problem, each with line and column, in file order', () => {
    const err = problemsOf('name: x\nservices:\n  postgres: { port: 70000 }\n  app: { depends_on: [postgress] }\ndb: { migration: x }\n');
    expect(err.exit).toBe(3);
    expect(err.problems.map((p) => [p.line, p.column, p.path])).toEqual([
      [3, 21, 'services.postgres.port'],
      [4, 23, 'services.app.depends_on[0]'],
      [5, 7, 'db.migration'],
    ]);
    expect(err.problems[1]!.message).toContain('did you mean "postgres"?');
    expect(err.problems[2]!.message).toContain('did you mean "migrations"?');
  });

  it('refuses two services on one port', () => {
    const err = problemsOf('services:\n  postgres: { port: 7000 }\n  redis: { port: 7000 }\n');
    expect(err.problems[0]).toMatchObject({ line: 3, path: 'services.redis.port', message: 'port 7000 is already used by service "postgres"' });
  });

  it('refuses duplicate keys as YAML errors', () => {
    const err = problemsOf('name: a\nname: b\n');
    expect(err.problems[0]).toMatchObject({ line: 2, column: 1 });
  });

  it('accepts the enum shorthand in the env contract', () => {
    const c = parse('env:\n  LOG_LEVEL: { enum: [info, debug], default: info }\n');
    expect(c.env.LOG_LEVEL).toMatchObject({ type: 'enum', values: ['info', 'debug'] });
  });
});

describe('loadConfig on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('walks up from a subdirectory and reads process env over .env.local over .env', async () => {
    await writeFile(join(dir, 'taskmaster.yml'), 'services:\n  postgres:\n    user: "${A}"\n    database: "${B}"\n    password: "${C}"\n');
    await writeFile(join(dir, '.env'), 'A=from-env\nB=from-env\nC=from-env\n');
    await writeFile(join(dir, '.env.local'), 'B=from-local\nC=from-local\n');
    await mkdir(join(dir, 'src', 'deep'), { recursive: true });
    const c = await loadConfig({ cwd: join(dir, 'src', 'deep'), env: { C: 'from-process' } });
    expect(c.root).toBe(dir);
    expect(c.services[0]).toMatchObject({ user: 'from-env', database: 'from-local', password: 'from-process' });
  });

  it('fails with TM_CONFIG_NOT_FOUND (exit 3) for a --config path that does not exist', async () => {
    await expect(loadConfig({ cwd: dir, configPath: 'nope.yml' })).rejects.toMatchObject({ code: 'TM_CONFIG_NOT_FOUND', exit: 3 });
  });
});
