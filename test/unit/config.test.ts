import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { TmError } from '../../src/errors.js';

const parse = (source: string, vars: Record<string, string> = {}) =>
  parseConfig(source, { file: '/p/taskmaster.yml', root: '/p/my-app', vars, displayFile: 'taskmaster.yml' });
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
    expect(c.db).toEqual({ migrations: 'db/migrations', seeds: 'db/seeds', branches: false, templates: 5 });
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
    const c = parse('services:\n  postgres:\n    password: "${PW}"\n    user: "${U:-app}"\n    database: "${EMPTY-keep}x$$y"\n    port: "${PORT:-6543}"\n', {
      PW: 's3cret',
      EMPTY: '',
    });
    expect(c.services[0]).toMatchObject({ password: 's3cret', user: 'app', database: 'x$y', port: 6543 });
  });

  it('reports an unset variable as a warning with its line', () => {
    const c = parse('services:\n  postgres:\n    password: "${NOPE}"\n');
    expect(c.warnings).toEqual([
      expect.objectContaining({ line: 3, column: 15, path: 'services.postgres.password', message: expect.stringContaining('${NOPE} is not set') }),
    ]);
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

  it('gives the services the values tm env show and the apps see: ${VAR} in .env expanded as dotenv-expand does', async () => {
    const { resolveEnv } = await import('../../src/env/resolve.js');
    await writeFile(join(dir, 'taskmaster.yml'), 'services:\n  postgres:\n    password: "${POSTGRES_PASSWORD}"\n');
    await writeFile(join(dir, '.env'), "SUFFIX=abc\nPOSTGRES_PASSWORD='pw-${SUFFIX}-1'\n");
    const env = {};
    const c = await loadConfig({ cwd: dir, env });
    const shown = (await resolveEnv(dir, {}, env)).vars.get('POSTGRES_PASSWORD')?.value;
    expect(shown).toBe('pw-abc-1');
    expect(c.services[0]).toMatchObject({ password: shown });
  });

  it('fails with TM_CONFIG_NOT_FOUND (exit 3) for a --config path that does not exist', async () => {
    await expect(loadConfig({ cwd: dir, configPath: 'nope.yml' })).rejects.toMatchObject({ code: 'TM_CONFIG_NOT_FOUND', exit: 3 });
  });
});

describe('hostile taskmaster.yml: a one-line error with exit 3, never a crash or a hang', () => {
  /** parseConfig's outcome: the config, or the TmError; anything else thrown fails the test. */
  function outcome(source: string): { ok: true } | { ok: false; err: TmError } {
    try {
      parse(source);
      return { ok: true };
    } catch (err) {
      expect(err, String(err)).toBeInstanceOf(TmError);
      const e = err as TmError;
      expect(e.exit).toBe(3);
      expect(e.message).not.toContain('\n');
      expect(e.problems.length).toBeLessThanOrEqual(50);
      for (const p of e.problems) expect(p.message).not.toContain('\n');
      return { ok: false, err: e };
    }
  }
  /** A small deterministic generator, so a failing case can be reproduced. */
  function prng(seed: number) {
    return () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
  }

  it('an alias bomb (the billion laughs) is refused with the position of its first alias', () => {
    for (const [levels, width] of [
      [6, 10],
      [9, 9],
      [20, 4],
    ] as const) {
      const lines = ['a0: &a0 [lol, lol, lol, lol]'];
      for (let i = 1; i < levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: width }, () => `*a${i - 1}`).join(', ')}]`);
      const r = outcome(`${lines.join('\n')}\n`);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.err.problems[0]).toMatchObject({ line: 2, message: expect.stringContaining('aliases expand to too much data') });
    }
  });

  it('a file larger than 256 KiB is refused unread; one just under it, full of mistakes, lists the first 50', () => {
    const huge = outcome(`name: x\n# ${'x'.repeat(300 * 1024)}\n`);
    expect(huge.ok || huge.err.code).toBe('TM_CONFIG_TOO_LARGE');
    const lines = ['services:', '  postgres:'];
    let size = 0;
    for (let i = 0; size < 250 * 1024; i++) size += lines[lines.push(`    unknown_key_${i}: ${i}`) - 1]!.length + 1;
    const many = outcome(lines.join('\n'));
    expect(many.ok).toBe(false);
    if (!many.ok) {
      expect(many.err.message).toMatch(/has \d{4,} problems \(the first 50 listed\)/);
      expect(many.err.problems[0]).toMatchObject({ line: 3, path: 'services.postgres.unknown_key_0' });
    }
  });

  it('a file of thousands of duplicate keys is read in one pass', () => {
    const keys = Array.from({ length: 12_000 }, (_, i) => `  K${i % 4000}: 1`);
    const r = outcome(`env:\n${keys.join('\n')}\n`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.err.problems[0]).toMatchObject({ line: 4002, column: 3, message: 'Map keys must be unique' });
  });

  it('nesting far deeper than taskmaster.yml has is refused, in flow and in block style', () => {
    for (const source of [
      `x: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
      `x: ${'['.repeat(100)}${']'.repeat(100)}\n`,
      `${Array.from({ length: 200 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n')} end\n`,
    ]) {
      const r = outcome(source);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.err.problems[0]!.message).toMatch(/nested (deeper than 64 levels|too deeply to read)/);
    }
  });

  it('random shapes of YAML: anchors, aliases, merges, tags, deep and odd keys', () => {
    const atoms = [
      '&a',
      '*a',
      '<<: *a',
      '!!binary',
      '!!set',
      '? ',
      '- ',
      '[',
      ']',
      '{',
      '}',
      ': ',
      ', ',
      '|',
      '>',
      '"x',
      "'y",
      '${X}',
      '$$',
      '#',
      '\n',
      '\n  ',
      '\n    ',
      'services',
      'postgres',
      'port',
      'env',
      'type',
      '0x1F',
      '~',
      'null',
      '.inf',
      '\t',
      '\u0000',
      '%YAML 1.2\n---\n',
    ];
    const rand = prng(18);
    for (let i = 0; i < 400; i++) {
      const n = 1 + Math.floor(rand() * 60);
      outcome(Array.from({ length: n }, () => atoms[Math.floor(rand() * atoms.length)]).join(''));
    }
  });
});
