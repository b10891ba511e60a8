import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { interpolate, interpolateDeep, tmExpression } from '../../src/init/adopt/compose-interpolate.js';
import { composeFiles, containerVariables, mergeCompose, parseCompose, readCompose } from '../../src/init/adopt/compose-read.js';
import { expand } from '../../src/config/interpolate.js';

// Compose's variable rules and merge rules, as the specification states them; and that what
// tm init --adopt writes for taskmaster.yml reads back (through tm's own interpolation) as
// the value compose gives.

const vars = { USER: 'app', EMPTY: '', PORT: '6000', NESTED: 'inner' };

describe('compose interpolation', () => {
  it.each([
    ['${USER}', 'app'],
    ['$USER', 'app'],
    ['$USER-x', 'app-x'],
    ['${MISSING:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${EMPTY-fallback}', ''],
    ['${MISSING-fallback}', 'fallback'],
    ['${USER:+set}', 'set'],
    ['${EMPTY:+set}', ''],
    ['${EMPTY+set}', 'set'],
    ['${MISSING+set}', ''],
    ['${MISSING:-${NESTED}}', 'inner'],
    ['${MISSING:-${ALSO_MISSING:-deep}}', 'deep'],
    ['cost: $$5', 'cost: $5'],
    ['$${USER}', '${USER}'],
    ['a${PORT}b', 'a6000b'],
    ['${PORT}:5432', '6000:5432'],
    ['$ alone', '$ alone'],
    ['price$', 'price$'],
  ])('%s -> %s', (text, value) => {
    expect(interpolate(text, vars).value).toBe(value);
  });

  it('reports unset variables and failed requirements, as compose warns and refuses', () => {
    expect(interpolate('${NOPE}', vars)).toEqual({ value: '', missing: ['NOPE'], errors: [] });
    expect(interpolate('${NOPE:?set NOPE in .env}', vars).errors).toEqual(['NOPE: set NOPE in .env']);
    expect(interpolate('${EMPTY:?x}', vars).errors).toHaveLength(1);
    expect(interpolate('${EMPTY?x}', vars).errors).toHaveLength(0);
  });

  it('expands every string of a parsed file, keys left as written', () => {
    expect(interpolateDeep({ ports: ['${PORT}:80'], environment: { A: '$USER' }, n: 3 }, vars)).toEqual({
      ports: ['6000:80'],
      environment: { A: 'app' },
      n: 3,
    });
  });

  it.each([
    ['${USER}', '${USER}'],
    ['$USER', '${USER}'],
    ['${PW:?set it}', '${PW}'],
    ['${PW:-dev-pw}', '${PW:-dev-pw}'],
    ['${PW-dev-pw}', '${PW-dev-pw}'],
    ['literal', 'literal'],
    ['a$$b', 'a$$b'],
    ['${USER:+yes}', 'yes'],
    ['${MISSING:-${NESTED}}', 'inner'],
  ])('for taskmaster.yml, %s is written %s', (text, written) => {
    expect(tmExpression(text, vars)).toBe(written);
  });

  it("what is written for taskmaster.yml gives, through tm's interpolation, the value compose gives", () => {
    const env = { USER: 'app', PW: 'p$w', EMPTY: '', NESTED: 'inner' };
    for (const text of ['${USER}', '$USER', '${PW:?x}', '${EMPTY:-d}', '${EMPTY-d}', 'lit$$eral', '${USER:+on}', '${X:-${NESTED}}', 'pre-${USER}-post']) {
      expect(
        expand(tmExpression(text, env), env, () => {}),
        text,
      ).toBe(interpolate(text, env).value);
    }
  });
});

describe('compose merge (override files)', () => {
  const base = parseCompose(
    `services:
  db:
    image: postgres:15
    command: ["postgres", "-c", "fsync=off"]
    environment:
      POSTGRES_USER: app
      POSTGRES_DB: app
    ports: ["5432:5432"]
    volumes: ["data:/var/lib/postgresql/data", "./init:/docker-entrypoint-initdb.d"]
    depends_on: [cache]
    healthcheck: { test: ["CMD", "pg_isready"], interval: 5s }
  cache:
    image: redis:7
    ports: ["6379:6379"]
`,
    'compose.yaml',
  );
  const override = parseCompose(
    `services:
  db:
    command: postgres -c log_statement=all
    environment:
      - POSTGRES_DB=app_dev
      - TZ=UTC
    ports: ["5432:5432", "127.0.0.1:15432:5432"]
    volumes: ["./pgdata:/var/lib/postgresql/data"]
    depends_on:
      mail: { condition: service_started }
    healthcheck: { test: ["CMD-SHELL", "pg_isready -U app"] }
  cache:
    ports: !reset []
    image: !override redis:7.2
`,
    'compose.override.yaml',
  );
  const merged = mergeCompose(mergeCompose({}, base), override) as { services: Record<string, Record<string, unknown>> };
  const db = merged.services.db!;

  it('replaces shell commands and healthcheck tests, merges the rest of the healthcheck', () => {
    expect(db.command).toBe('postgres -c log_statement=all');
    expect(db.healthcheck).toEqual({ test: ['CMD-SHELL', 'pg_isready -U app'], interval: '5s' });
  });

  it('merges environment by key, list syntax or not', () => {
    expect(db.environment).toEqual({ POSTGRES_USER: 'app', POSTGRES_DB: 'app_dev', TZ: 'UTC' });
  });

  it('appends ports without duplicates, and replaces a volume by its target', () => {
    expect(db.ports).toEqual(['5432:5432', '127.0.0.1:15432:5432']);
    expect(db.volumes).toEqual(['./pgdata:/var/lib/postgresql/data', './init:/docker-entrypoint-initdb.d']);
  });

  it('merges depends_on by service, short and long syntax', () => {
    expect(db.depends_on).toEqual({ cache: { condition: 'service_started' }, mail: { condition: 'service_started' } });
  });

  it('!reset removes a key, !override replaces it', () => {
    expect(merged.services.cache).toEqual({ image: 'redis:7.2' });
  });
});

describe('compose files of a project', () => {
  let dir: string;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('picks compose.yaml before docker-compose.yml, adds its override, honours COMPOSE_FILE, and reads env_file and profiles', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-adopt-'));
    await writeFile(join(dir, 'docker-compose.yml'), 'services: { old: { image: x } }\n');
    await writeFile(
      join(dir, 'compose.yaml'),
      'services:\n  db:\n    image: postgres:${PG_MAJOR:-16}\n    env_file: [db.env, { path: missing.env, required: false }]\n    environment:\n      POSTGRES_USER: ${DB_USER}\n      FROM_SHELL:\n  tool: { image: adminer, profiles: [debug] }\n',
    );
    await writeFile(join(dir, 'docker-compose.override.yml'), 'services:\n  db:\n    environment: [POSTGRES_DB=override]\n');
    await writeFile(join(dir, '.env'), 'DB_USER=fromdotenv\nPG_MAJOR=15\nCOMPOSE_PROFILES=debug\n');
    await writeFile(join(dir, 'db.env'), 'POSTGRES_PASSWORD=from-env-file\nPOSTGRES_USER=shadowed\n');
    expect(composeFiles(dir, {})).toEqual(['compose.yaml', 'docker-compose.override.yml']);
    expect(composeFiles(dir, { COMPOSE_FILE: 'docker-compose.yml' })).toEqual(['docker-compose.yml']);

    const project = readCompose(dir, { FROM_SHELL: 'shell-value' })!;
    expect(project.profiles).toEqual(['debug']);
    expect(interpolate(String(project.services.db!.image), project.vars).value).toBe('postgres:15');
    const env = containerVariables(dir, project.services.db!, project.vars);
    expect(Object.fromEntries([...env].map(([k, v]) => [k, v.value]))).toEqual({
      POSTGRES_PASSWORD: 'from-env-file',
      POSTGRES_USER: 'fromdotenv',
      POSTGRES_DB: 'override',
      FROM_SHELL: 'shell-value',
    });
    expect(env.get('POSTGRES_PASSWORD')!.from).toBe('db.env');
    expect(env.get('POSTGRES_USER')!.written).toBe('${DB_USER}');
  });

  it('names the file and line of broken YAML', () => {
    expect(() => parseCompose('services:\n  db: [unclosed\n', 'compose.yaml')).toThrow(/compose\.yaml:\d+:\d+/);
  });
});
