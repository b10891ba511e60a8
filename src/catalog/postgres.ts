import * as z from 'zod/mini';
import { describe, flag, port, preprocess, text } from '../config/zod.js';
import { type ContainerSpec, type Kind, type Reach, secret } from './types.js';

/** Settings values as taskmaster.yml may write them (`work_mem: 64MB`, `jit: false`, `max_connections: 200`). */
const settingValue = preprocess(
  (v) => (typeof v === 'boolean' ? (v ? 'on' : 'off') : typeof v === 'number' ? String(v) : v),
  z
    .string({ error: (iss) => `expected a setting's value (text, number, true or false), got ${describe(iss.input)}` })
    .check(z.refine((v: string) => !/[\0\n\r]/.test(v), { error: "a setting's value cannot hold a line break" })),
);

/** A server setting's name: `work_mem`, or an extension's `pg_stat_statements.track`. */
const settingName = z
  .string()
  .check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, { error: 'expected a setting name such as work_mem or pg_stat_statements.track' }));

/** An extension or database name (quoted as an identifier when used). */
function sqlName(what: string) {
  return text(what).check(z.regex(/^[A-Za-z_][A-Za-z0-9_$-]*$/, { error: `expected ${what} (letters, digits, "_", "-", "$")` }));
}

/** A database name that a URL can carry. */
const databaseName = text().check(
  z.refine((v: string) => !/[?#]/.test(v), {
    error: 'a database name with "?" or "#" cannot be written in a database URL (pg reads it back cut short): choose another name',
  }),
);

const schema = z.strictObject({
  kind: z.optional(z.literal('postgres')),
  image: z._default(text(), 'postgres:16-alpine'),
  /** The major version of local binaries to use; unset: the newest installed. */
  version: z.optional(
    preprocess(
      (v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v),
      z.number({ error: (iss) => `expected a major version such as 16, got ${describe(iss.input)}` }).check(z.int()),
    ),
  ),
  host: z._default(text(), '127.0.0.1'),
  port: z._default(port, 5432),
  database: z.optional(databaseName),
  user: z._default(
    text().check(z.refine((v: string) => !v.startsWith('pg_'), { error: 'role names starting with "pg_" are reserved by PostgreSQL: choose another user' })),
    'postgres',
  ),
  password: z._default(text(), 'postgres'),
  /** Extensions created in the app database (CREATE EXTENSION IF NOT EXISTS) on every `tm up`. */
  extensions: z._default(z.array(sqlName('an extension name such as pgcrypto')), []),
  /** Server settings (`-c name=value`): a change needs a restart of the server. */
  settings: z._default(z.record(settingName, settingValue), {}),
  /** SQL files run once, on a new data directory: a file, a folder (its *.sql), `dir/*.sql`, or a list of them. */
  init: z._default(
    preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(text('a path to a .sql file or a folder of them'))),
    [],
  ),
  /** More databases of the app user, each with a DATABASE_<NAME>_URL. */
  databases: z._default(z.array(sqlName('a database name')), []),
  /** A throwaway test database (`test-db`, DATABASE_TEST_URL): on tmpfs on Docker, wiped on tm down natively. */
  test_database: z._default(
    z.union([flag, z.strictObject({ port: z.optional(port), database: z.optional(databaseName) })], {
      error: (iss) => `expected true, false or { port, database }, got ${describe(iss.input)}`,
    }),
    false,
  ),
});

/**
 * A database name as a URL path, for pg's parser, which reads it back with decodeURI: the
 * characters decodeURI leaves encoded (`;/:@&=+$,`) stay as they are. `?` and `#` cannot be
 * written at all; the config refuses database names with them.
 */
export function databasePath(name: string): string {
  return encodeURI(name);
}

/**
 * Settings tm itself gives a server it runs (where it listens, its data and socket
 * directories, logging to the file `tm logs` reads): each has its own key or none.
 */
const OWN_SETTINGS: Record<string, string> = {
  port: 'set services.<name>.port',
  listen_addresses: 'set services.<name>.host',
  unix_socket_directories: 'tm chooses a short socket directory itself',
  data_directory: 'tm keeps the data where it belongs to the runtime',
  config_file: 'give the settings themselves under settings:',
  hba_file: 'tm sets up authentication itself',
  logging_collector: 'tm logs reads the server log tm writes',
};

/** Settings a throwaway test database runs with: nothing of it needs to survive a crash. */
const TEST_SETTINGS = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };

/** The name of the test database's service (compose has called it so since `docker.test_db`). */
export const TEST_DB_SERVICE = 'test-db';

export type PostgresService = z.output<typeof schema> & {
  kind: 'postgres';
  name: string;
  database: string;
  /** The init files as found on disk (project-relative, in the order they run), filled by the loader. */
  initFiles?: string[];
  /** Set on a test database: the Postgres service it is the test database of. */
  testOf?: string;
  secretsOf?: string;
  /** With db.branches, off the default branch: the branch's database, which URLs on this machine name (config/branch.ts). */
  branchDatabase?: string;
};

/** The database a URL names: the checkout's branch database on this machine, the configured one in the project's files. */
const urlDatabase = (svc: PostgresService, at: { project?: boolean }): string => (at.project ? svc.database : (svc.branchDatabase ?? svc.database));

/** `DATABASE_<NAME>_URL`: the variable of one of `databases:`. */
export function databaseVariable(database: string): string {
  return `DATABASE_${database.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_URL`;
}

/** The settings a server of this service runs with, `name=value`, in a stable order. */
export function settingArgs(svc: PostgresService): string[] {
  const all = svc.testOf ? { ...TEST_SETTINGS, ...svc.settings } : svc.settings;
  return Object.keys(all)
    .sort()
    .map((k) => `${k}=${all[k]}`);
}

/**
 * The test database a Postgres service asks for (`test_database:`), as a service of its own:
 * the same image, version, user, password, settings, extensions and init files, a database
 * named `<database>_test` one port above (unless given), and no data that outlives it.
 */
export function testDatabaseOf(svc: PostgresService): PostgresService | undefined {
  if (svc.test_database === false) return undefined;
  const given = svc.test_database === true ? {} : svc.test_database;
  return {
    ...svc,
    name: TEST_DB_SERVICE,
    port: given.port ?? svc.port + 1,
    database: given.database ?? `${svc.database}_test`,
    databases: [],
    test_database: false,
    testOf: svc.name,
    // The test database is its own: it does not follow the branch.
    branchDatabase: undefined,
    // One password for both: the test database's is the same secret, kept under its service's name.
    secretsOf: svc.secretsOf ?? svc.name,
  };
}

/** Where the official image (and the pod) keeps its data. */
const DATA = '/var/lib/postgresql/data';
/** Where a test database's data lives in its container: memory only. */
const TMPFS = '/var/lib/postgresql/tmpfs';
/** The official image's folder of scripts it runs on a new data directory. */
const INITDB_D = '/docker-entrypoint-initdb.d';

function databaseUrl(svc: PostgresService, at: Reach, database: string): string {
  return `postgres://${encodeURIComponent(svc.user)}${svc.password ? `:${at.urlSecret('password')}` : ''}@${at.host}:${at.port('postgres')}/${databasePath(database)}`;
}

/** Each init file at `/docker-entrypoint-initdb.d/NNN-<name>`, so the image runs them in the configured order. */
function initMounts(files: string[]): NonNullable<ContainerSpec['mounts']> {
  const width = String(files.length).length;
  return files.map((source, i) => ({ source, target: `${INITDB_D}/${String(i + 1).padStart(Math.max(3, width), '0')}-${source.split('/').pop()}` }));
}

/**
 * PostgreSQL: the official image's POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, and
 * natively the runtime's own driver (initdb, then the role and database over its socket).
 */
export const postgres: Kind<PostgresService> = {
  name: 'postgres',
  title: 'PostgreSQL',
  schema,
  complete(svc, project) {
    svc.database ??= project.replace(/[^A-Za-z0-9_]/g, '_');
  },
  companions: (svc) => {
    const test = testDatabaseOf(svc);
    return test ? [test] : [];
  },
  problems: (svc) => [
    ...Object.keys(svc.settings)
      .filter((k) => k.toLowerCase() in OWN_SETTINGS)
      .map((k) => ({ key: `settings.${k}`, message: `${k} is tm's to set: ${OWN_SETTINGS[k.toLowerCase()]!.replace('<name>', svc.name)}` })),
    ...svc.databases.flatMap((d, i) =>
      d === svc.database
        ? [{ key: `databases.${i}`, message: `${d} is the app database (services.${svc.name}.database) already` }]
        : databaseVariable(d) === 'DATABASE_TEST_URL'
          ? [{ key: `databases.${i}`, message: `${d} would be given as DATABASE_TEST_URL, the test database's variable: choose another name` }]
          : [],
    ),
  ],
  ports: (svc) => [{ key: 'port', name: 'postgres', port: svc.port, container: 5432 }],
  secrets: ['password'],
  url: (svc, at) => databaseUrl(svc, at, urlDatabase(svc, at)),
  exports: (svc, at): Record<string, string> =>
    svc.testOf
      ? { DATABASE_TEST_URL: databaseUrl(svc, at, svc.database) }
      : {
          DATABASE_URL: databaseUrl(svc, at, urlDatabase(svc, at)),
          ...Object.fromEntries(svc.databases.map((d) => [databaseVariable(d), databaseUrl(svc, at, d)])),
        },
  schemes: { 'postgres:': 5432, 'postgresql:': 5432 },
  probe: (svc) => ({ protocol: 'postgres', host: svc.host, port: svc.port, user: svc.user, password: svc.password, database: svc.database }),
  native: { driver: 'postgres' },
  container: (svc) => ({
    image: svc.image,
    env: {
      POSTGRES_USER: svc.user,
      POSTGRES_PASSWORD: secret('password'),
      POSTGRES_DB: svc.database,
      // Below a tmpfs mount at a path the image does not have (Docker keeps the image's owner
      // and mode on an existing one), so an image running as postgres can create it.
      ...(svc.testOf ? { PGDATA: `${TMPFS}/pgdata` } : {}),
    },
    // Arguments to the image's entrypoint, which starts `postgres` with them (the official
    // image puts `postgres` in front of arguments starting with "-").
    ...(settingArgs(svc).length > 0 ? { args: settingArgs(svc).flatMap((s) => ['-c', s]) } : {}),
    ...(svc.testOf ? { tmpfs: TMPFS } : { volume: DATA }),
    // Run by the image's entrypoint on a new data directory, in name order: numbered to keep the configured order.
    ...(svc.initFiles?.length ? { mounts: initMounts(svc.initFiles) } : {}),
    // exec: no shell stays behind. A check past its timeout is killed; a pg_isready left
    // orphaned by a killed shell is adopted by the postmaster (PID 1), and when it then dies
    // of SIGPIPE the postmaster takes it for a crashed backend and restarts every session.
    check: ['sh', '-c', 'exec pg_isready -t 2 -h 127.0.0.1 -p 5432 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'],
    storage: '5Gi',
    resources: { cpu: '100m', memory: '256Mi' },
    // A fresh volume has lost+found at its root, which initdb refuses: use a subdirectory.
    podEnv: { PGDATA: `${DATA}/pgdata` },
  }),
  // psql, pg_dump and pg_restore read all of it from the environment.
  client: (svc, at) => ({
    program: 'psql',
    args: [],
    env: { PGHOST: at.host, PGPORT: String(at.port), PGUSER: svc.user, PGDATABASE: urlDatabase(svc, {}), PGPASSWORD: svc.password },
  }),
};
