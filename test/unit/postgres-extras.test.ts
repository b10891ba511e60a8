import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import type { PostgresService } from '../../src/config/schema.js';
import { exportedVariables } from '../../src/config/services.js';
import { missingExtensions, settingMatches } from '../../src/db/extras.js';
import { composeSecrets, renderCompose } from '../../src/render/compose.js';
import { renderK8s } from '../../src/render/k8s.js';
import { validateManifests } from '../helpers/k8s-models.js';
import { parseIn, refusalOf } from '../helpers/parse-config.js';

// What services.<pg>.{extensions, settings, init, databases, test_database} make of the model:
// the test database as a service of its own, the variables the apps get, and the compose and
// Kubernetes renderings. The servers' side is tested in test/e2e/postgres-extras.test.ts.

const parse = parseIn('shop');
const refusal = (source: string) => refusalOf(parse, source);
const pgOf = (services: { name: string }[], name: string) => services.find((s) => s.name === name) as PostgresService;

describe('the test database', () => {
  it('test_database: true adds a test-db service one port above, database <db>_test, same user and password', () => {
    const c = parse('services:\n  postgres: { port: 6000, database: shop, password: pw, test_database: true }\n  redis: { port: 6379 }\n');
    expect(c.services.map((s) => s.name)).toEqual(['postgres', 'test-db', 'redis']);
    expect(pgOf(c.services, 'test-db')).toMatchObject({
      kind: 'postgres',
      port: 6000 + 1,
      database: 'shop_test',
      user: 'postgres',
      password: 'pw',
      testOf: 'postgres',
    });
    const vars = exportedVariables(c.services, true);
    expect(vars.get('DATABASE_URL')?.value).toBe('postgres://postgres:pw@127.0.0.1:6000/shop');
    expect(vars.get('DATABASE_TEST_URL')?.value).toBe('postgres://postgres:pw@127.0.0.1:6001/shop_test');
    // Its password is postgres' secret, under postgres' variable.
    expect(composeSecrets(c.services)).toEqual({ TM_POSTGRES_PASSWORD: 'pw' });
  });

  it('is opt-in, takes its own port and database, and docker.test_db asks for it too', () => {
    expect(parse('services:\n  postgres: {}\n').services.map((s) => s.name)).toEqual(['postgres']);
    const own = parse('services:\n  postgres: { test_database: { port: 7000, database: ci } }\n');
    expect(pgOf(own.services, 'test-db')).toMatchObject({ port: 7000, database: 'ci' });
    const old = parse('services:\n  postgres: { port: 6000 }\ndocker: { test_db: true }\n');
    expect(pgOf(old.services, 'test-db')).toMatchObject({ port: 6001 });
  });

  it('a port clash of the test database is shown at test_database, with the fix', () => {
    const err = refusal('services:\n  redis: { port: 6001 }\n  postgres:\n    port: 6000\n    test_database: true\n');
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ line: 5, path: 'services.postgres.test_database' });
    expect(err.problems[0]!.message).toMatch(/^port 6001 is already used by service "redis"/);
    expect(err.problems[0]!.message).toContain('test_database: { port: N }');
  });

  it('a second Postgres asking for one, or a service already named test-db, is refused', () => {
    const two = refusal('services:\n  postgres: { test_database: true }\n  other: { kind: postgres, port: 7000, test_database: true }\n');
    expect(two.problems[0]!.message).toContain('DATABASE_TEST_URL is one variable');
    const named = refusal('services:\n  postgres: { test_database: true }\n  test-db: { kind: redis }\n');
    expect(named.problems[0]).toMatchObject({ path: 'services.postgres.test_database' });
  });
});

describe('extra databases, settings and extensions in the config', () => {
  it('each extra database gets DATABASE_<NAME>_URL on the same server', () => {
    const c = parse('services:\n  postgres: { port: 6000, password: pw, database: shop, databases: [analytics, audit-log] }\n');
    const vars = exportedVariables(c.services, true);
    expect(vars.get('DATABASE_ANALYTICS_URL')?.value).toBe('postgres://postgres:pw@127.0.0.1:6000/analytics');
    expect(vars.get('DATABASE_AUDIT_LOG_URL')?.value).toBe('postgres://postgres:pw@127.0.0.1:6000/audit-log');
  });

  it('refuses the app database again, a database named like the test database variable, and settings tm sets itself', () => {
    const err = refusal('services:\n  postgres:\n    database: shop\n    databases: [shop, test]\n    settings: { port: 5433, listen_addresses: "*" }\n');
    expect(err.problems.map((p) => [p.path, p.message.split(':')[0]])).toEqual([
      ['services.postgres.databases[0]', 'shop is the app database (services.postgres.database) already'],
      ['services.postgres.databases[1]', "test would be given as DATABASE_TEST_URL, the test database's variable"],
      ['services.postgres.settings.port', "port is tm's to set"],
      ['services.postgres.settings.listen_addresses', "listen_addresses is tm's to set"],
    ]);
  });

  it('settings values are text as the server reads them: booleans on/off, numbers as written', () => {
    const c = parse('services:\n  postgres: { settings: { jit: false, max_connections: 200, work_mem: 64MB, pg_stat_statements.track: all } }\n');
    expect(pgOf(c.services, 'postgres').settings).toEqual({ jit: 'off', max_connections: '200', work_mem: '64MB', 'pg_stat_statements.track': 'all' });
    const bad = refusal('services:\n  postgres: { settings: { "work mem": 1, extensions: x } }\n');
    expect(bad.problems.map((p) => p.path)).toContain('services.postgres.settings.work mem');
    expect(refusal('services:\n  postgres: { extensions: ["pg crypto"] }\n').problems[0]!.message).toMatch(/expected an extension name/);
  });
});

describe('a running server has the configured setting', () => {
  const row = (setting: string, unit: string | null, vartype: string) => ({ name: 'x', setting, unit, vartype });

  it('compares memory and time in the setting own unit', () => {
    expect(settingMatches('64MB', row('65536', 'kB', 'integer'))).toBe(true);
    expect(settingMatches('64MB', row('4096', 'kB', 'integer'))).toBe(false);
    expect(settingMatches('128MB', row('16384', '8kB', 'integer'))).toBe(true);
    expect(settingMatches('16384', row('16384', '8kB', 'integer'))).toBe(true);
    expect(settingMatches('1min', row('60000', 'ms', 'integer'))).toBe(true);
    expect(settingMatches('30s', row('60000', 'ms', 'integer'))).toBe(false);
    expect(settingMatches('200', row('100', null, 'integer'))).toBe(false);
    expect(settingMatches('0.5', row('0.5', null, 'real'))).toBe(true);
  });

  it('reads booleans, enums and lists as the server does', () => {
    expect(settingMatches('off', row('off', null, 'bool'))).toBe(true);
    expect(settingMatches('yes', row('off', null, 'bool'))).toBe(false);
    expect(settingMatches('All', row('all', null, 'enum'))).toBe(true);
    expect(settingMatches('pg_stat_statements, auto_explain', row('pg_stat_statements,auto_explain', null, 'string'))).toBe(true);
    expect(settingMatches('pg_stat_statements', row('', null, 'string'))).toBe(false);
  });
});

describe('a missing extension', () => {
  const svc = pgOf(parse('services:\n  postgres: { image: "postgres:16-alpine", extensions: [postgis] }\n').services, 'postgres');

  it('natively names the Debian package for the server major version', () => {
    const err = missingExtensions(svc, ['postgis'], 15, 'native');
    expect(err.code).toBe('TM_PG_EXTENSION_MISSING');
    expect(err.exit).toBe(4);
    expect(err.message).toBe("postgres's PostgreSQL 15 (local binaries) does not have the extension postgis (services.postgres.extensions)");
    expect(err.hint).toContain('apt-get install postgresql-15-postgis-3');
    expect(missingExtensions(svc, ['zombodb'], 16, 'native').hint).toContain('apt-cache search postgresql-16');
  });

  it('on Docker names an image that has it, or says to build one', () => {
    expect(missingExtensions(svc, ['postgis'], 16, 'docker').hint).toContain('such as postgis/postgis:16-3.4');
    expect(missingExtensions(svc, ['zombodb'], 16, 'docker').hint).toContain('build one FROM postgres:16-alpine');
  });
});

describe('renderings', () => {
  const config = parse(
    'name: shop\nservices:\n  postgres:\n    port: 6000\n    password: pw\n    settings: { work_mem: 64MB }\n    extensions: [pgcrypto]\n    databases: [analytics]\n    test_database: true\n',
  );
  for (const s of config.services) if (s.kind === 'postgres') s.initFiles = ['db/init/schema.sql', 'db/init/data.sql'];

  it('compose: settings as the entrypoint arguments, init files mounted in order, the test database on tmpfs', () => {
    const doc = parseYaml(renderCompose(config, config.services, { buildBase: '..' }));
    const pg = doc.services.postgres;
    expect(pg.command).toEqual(['-c', 'work_mem=64MB']);
    expect(pg.volumes).toEqual([
      'postgres-data:/var/lib/postgresql/data',
      { type: 'bind', source: '../db/init/schema.sql', target: '/docker-entrypoint-initdb.d/001-schema.sql', read_only: true },
      { type: 'bind', source: '../db/init/data.sql', target: '/docker-entrypoint-initdb.d/002-data.sql', read_only: true },
    ]);
    const test = doc.services['test-db'];
    expect(test.command).toEqual(['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off', '-c', 'work_mem=64MB']);
    expect(test.tmpfs).toEqual(['/var/lib/postgresql/tmpfs:mode=1777']);
    expect(test.environment).toMatchObject({
      POSTGRES_DB: 'shop_test',
      POSTGRES_PASSWORD: '${TM_POSTGRES_PASSWORD}',
      PGDATA: '/var/lib/postgresql/tmpfs/pgdata',
    });
    expect(test.volumes.some((v: unknown) => typeof v === 'string')).toBe(false);
    expect(test.ports).toEqual(['127.0.0.1:6001:5432']);
    expect(Object.keys(doc.volumes)).toEqual(['postgres-data']);
    // The repository's file mounts from beside it.
    expect(parseYaml(renderCompose(config, config.services, { buildBase: '.', variables: 'dotenv' })).services.postgres.volumes[1].source).toBe(
      './db/init/schema.sql',
    );
  });

  it('k8s: settings as args, init files and the extras script in a ConfigMap, no test database', () => {
    const base = renderK8s(config, {
      source: '',
      migrationsHash: '0'.repeat(64),
      migrationsPath: 'db/migrations',
      mounted: { 'db/init/schema.sql': 'CREATE TABLE t (id int);\n', 'db/init/data.sql': 'INSERT INTO t VALUES (1);\n' },
    });
    expect(Object.keys(base.files)).not.toContain('test-db.yaml');
    expect(base.notes.join('\n')).toContain('test-db: the test database runs on this machine only');
    expect(base.files['config.yaml']).not.toContain('DATABASE_TEST_URL');
    const docs = parseAllDocuments(base.files['postgres.yaml']!).map((d) => d.toJS());
    validateManifests(docs);
    const set = docs.find((d) => d.kind === 'StatefulSet');
    const container = set.spec.template.spec.containers[0];
    expect(container.args).toEqual(['-c', 'work_mem=64MB']);
    expect(container.command).toBeUndefined();
    const files = docs.find((d) => d.kind === 'ConfigMap');
    expect(files.data['001-schema.sql']).toBe('CREATE TABLE t (id int);\n');
    expect(files.data['002-data.sql']).toBe('INSERT INTO t VALUES (1);\n');
    expect(files.data['003-taskmaster-extras.sql']).toContain(
      'CREATE DATABASE "analytics" OWNER "postgres";\nCREATE EXTENSION IF NOT EXISTS "pgcrypto" CASCADE;',
    );
    expect(container.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain('/docker-entrypoint-initdb.d/003-taskmaster-extras.sql');
  });
});
