import * as z from 'zod/mini';
import { describe, port, preprocess, text } from '../config/zod.js';
import { type Kind, secret } from './types.js';

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
  database: z.optional(
    text().check(
      z.refine((v: string) => !/[?#]/.test(v), {
        error: 'a database name with "?" or "#" cannot be written in a database URL (pg reads it back cut short): choose another name',
      }),
    ),
  ),
  user: z._default(
    text().check(z.refine((v: string) => !v.startsWith('pg_'), { error: 'role names starting with "pg_" are reserved by PostgreSQL: choose another user' })),
    'postgres',
  ),
  password: z._default(text(), 'postgres'),
});

/**
 * A database name as a URL path, for pg's parser, which reads it back with decodeURI: the
 * characters decodeURI leaves encoded (`;/:@&=+$,`) stay as they are. `?` and `#` cannot be
 * written at all; the config refuses database names with them.
 */
export function databasePath(name: string): string {
  return encodeURI(name);
}

export type PostgresService = z.output<typeof schema> & {
  kind: 'postgres';
  name: string;
  database: string;
  /** With db.branches, off the default branch: the branch's database, which URLs on this machine name (config/branch.ts). */
  branchDatabase?: string;
};

/** The database a URL names: the checkout's branch database on this machine, the configured one in the project's files. */
const urlDatabase = (svc: PostgresService, at: { project?: boolean }): string => (at.project ? svc.database : (svc.branchDatabase ?? svc.database));

/** Where the official image (and the pod) keeps its data. */
const DATA = '/var/lib/postgresql/data';

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
  ports: (svc) => [{ key: 'port', name: 'postgres', port: svc.port, container: 5432 }],
  secrets: ['password'],
  url: (svc, at) =>
    `postgres://${encodeURIComponent(svc.user)}${svc.password ? `:${at.urlSecret('password')}` : ''}@${at.host}:${at.port('postgres')}/${databasePath(urlDatabase(svc, at))}`,
  exports: (svc, at) => ({ DATABASE_URL: postgres.url(svc, at)! }),
  schemes: { 'postgres:': 5432, 'postgresql:': 5432 },
  probe: (svc) => ({ protocol: 'postgres', host: svc.host, port: svc.port, user: svc.user, password: svc.password, database: svc.database }),
  native: { driver: 'postgres' },
  container: (svc) => ({
    image: svc.image,
    env: { POSTGRES_USER: svc.user, POSTGRES_PASSWORD: secret('password'), POSTGRES_DB: svc.database },
    volume: DATA,
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
