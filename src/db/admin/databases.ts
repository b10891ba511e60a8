import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import { EXIT, TmError, errorText } from '../../errors.js';
import { connectionOf, withClient, type DatabaseTarget } from '../connect.js';
import { isOnThisMachine } from './this-machine.js';

/** The database a URL names (as pg reads the URL). */
export function databaseName(target: DatabaseTarget): string {
  const name = target.database ?? connectionOf(target).database;
  if (!name)
    throw new TmError('TM_NO_DATABASE', `the database URL (${target.source}) names no database`, { exit: EXIT.config, hint: 'end the URL with /<database>' });
  return name;
}

/** The same server, its `postgres` maintenance database: where DROP/CREATE DATABASE run. */
export function maintenanceTarget(target: DatabaseTarget): DatabaseTarget {
  return { ...target, conn: connectionOf(target), database: 'postgres' };
}

const SYSTEM_DATABASES = new Set(['postgres', 'template0', 'template1']);

/**
 * What `reset` and `restore` check before asking or touching anything: not a system database
 * (tm works from `postgres`, and ending its sessions breaks every other tool), and a host on
 * this machine unless forced: the host pg will really connect to (the URL's, its ?host=, else
 * PGHOST), by the addresses it resolves to, so that a URL cannot look local and reach another
 * machine. Returns the database name.
 */
export async function guardReplace(target: DatabaseTarget, command: string, force = false): Promise<string> {
  const db = databaseName(target);
  if (SYSTEM_DATABASES.has(db)) {
    throw new TmError('TM_DB_SYSTEM', `refusing to ${command} ${db}: it is a system database of the server`, {
      exit: EXIT.usage,
      hint: "point --database-url (or DATABASE_URL) at the app's own database",
    });
  }
  const { host } = connectionOf(target);
  if (!force && !(await isOnThisMachine(host))) {
    throw new TmError('TM_RESET_REMOTE', `refusing to ${command} a database that is not on this machine (${host}, from ${target.source})`, {
      exit: EXIT.usage,
      hint: 'pass --force if you really mean it',
    });
  }
  return db;
}

/** This role's privileges, and which of the databases asked about exist (with their owners). */
export interface Privileges {
  who: string;
  /** null: the role has no row in pg_roles (nothing is checked then). */
  superuser: boolean | null;
  createdb: boolean;
  /** The databases asked about that exist; `ok`: this role acts as their owner. */
  databases: Map<string, { owner: string; ok: boolean }>;
}

/** Both in one query, as reset, restore and snapshots need them before they drop anything. */
export async function readPrivileges(client: Client, databases: string[]): Promise<Privileges> {
  const { rows } = await client.query<{
    who: string;
    super: boolean | null;
    createdb: boolean | null;
    owners: { db: string; owner: string; ok: boolean }[] | null;
  }>(
    `SELECT current_user AS who, r.rolsuper AS super, r.rolcreatedb AS createdb,
            (SELECT json_agg(json_build_object('db', d.datname, 'owner', pg_get_userbyid(d.datdba), 'ok', pg_has_role(current_user, d.datdba, 'USAGE')))
               FROM pg_database d WHERE d.datname = ANY($1)) AS owners
       FROM (SELECT) AS one LEFT JOIN pg_roles r ON r.rolname = current_user`,
    [databases],
  );
  const me = rows[0]!;
  return {
    who: me.who,
    superuser: me.super,
    createdb: me.createdb === true,
    databases: new Map((me.owners ?? []).map((o) => [o.db, { owner: o.owner, ok: o.ok }])),
  };
}

/**
 * Checks before anything is dropped that this role can finish the job: CREATEDB to create
 * (and copy) databases, and ownership of each existing database of `own` it drops or copies
 * (PostgreSQL copies a database that is not a template only for its owner).
 */
export function requirePrivileges(client: Client, me: Privileges, need: { createdb: boolean; own: string[]; command: string }): void {
  if (me.superuser !== false) return;
  if (need.createdb && !me.createdb) {
    throw new TmError('TM_DB_PRIVILEGES', `role ${me.who} may not create databases, which ${need.command} needs; nothing was changed`, {
      exit: EXIT.config,
      hint: `as a superuser: ALTER ROLE ${client.escapeIdentifier(me.who)} CREATEDB; or use a database URL with such a role`,
    });
  }
  const foreign = need.own.map((db) => ({ db, ...me.databases.get(db) })).find((o) => o.ok === false);
  if (foreign) {
    throw new TmError(
      'TM_DB_PRIVILEGES',
      `role ${me.who} does not own database ${foreign.db} (its owner is ${foreign.owner}), which ${need.command} needs; nothing was changed`,
      {
        exit: EXIT.config,
        hint:
          `as a superuser: ALTER DATABASE ${client.escapeIdentifier(foreign.db)} OWNER TO ` +
          `${client.escapeIdentifier(me.who)}; or use a database URL with role ${foreign.owner}`,
      },
    );
  }
}

/** A DROP or CREATE DATABASE step: a server error becomes a TmError saying what state it left. */
async function ddl(client: Client, sql: string, what: string, hint: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new TmError('TM_DB_DDL', `${what} failed: ${errorText(err)}${code ? ` (SQLSTATE ${code})` : ''}`, {
      exit: code === '42501' ? EXIT.config : EXIT.migration,
      hint,
      cause: err,
    });
  }
}

export function withMaintenance<T>(target: DatabaseTarget, role: string, work: (client: Client) => Promise<T>): Promise<T> {
  return withClient(maintenanceTarget(target), role, work);
}

/** Ends every other session on `db` (CREATE DATABASE ... TEMPLATE needs none); returns how many. */
export async function terminateConnections(client: Client, db: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [db],
  );
  return rows[0]!.n;
}

/**
 * CREATE DATABASE ... TEMPLATE with the server's default strategy: WAL_LOG (15+) measured
 * faster here than FILE_COPY, whose forced checkpoints dominate for many small tables.
 */
export async function cloneDatabase(client: Client, name: string, template: string, hint = 'nothing else was changed'): Promise<void> {
  await ddl(client, `CREATE DATABASE ${client.escapeIdentifier(name)} TEMPLATE ${client.escapeIdentifier(template)}`, `copying ${template} to ${name}`, hint);
}

export async function createDatabase(client: Client, name: string, hint: string): Promise<void> {
  await ddl(client, `CREATE DATABASE ${client.escapeIdentifier(name)}`, `creating ${name}`, hint);
}

/**
 * DROP DATABASE; WITH (FORCE) (PostgreSQL 13+) also ends a session that connected after
 * terminateConnections ran, instead of failing on it.
 */
export async function dropDatabase(client: Client, name: string): Promise<void> {
  const force = (await serverVersion(client)) >= 130000 ? ' WITH (FORCE)' : '';
  await ddl(client, `DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)}${force}`, `dropping ${name}`, 'nothing was dropped');
}

const versions = new WeakMap<Client, number>();

/** server_version_num, asked once per connection. */
async function serverVersion(client: Client): Promise<number> {
  let v = versions.get(client);
  if (v === undefined) {
    const { rows } = await client.query<{ v: number }>(`SELECT current_setting('server_version_num')::int AS v`);
    v = rows[0]!.v;
    versions.set(client, v);
  }
  return v;
}

/** A short stable tag of a database name, so derived names stay within 63 bytes. */
export function nameTag(db: string): string {
  return createHash('sha256').update(db).digest('hex').slice(0, 8);
}
