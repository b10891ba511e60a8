import { hostname } from 'node:os';
import type { Client, ClientConfig } from 'pg';
import type { Config } from '../config/load.js';
import { projectVariables } from '../config/env-files.js';
import { EXIT, TmError, errorText } from '../errors.js';
import { serviceUrl } from '../config/services.js';
import { followBranch } from '../config/branch.js';
import { invalidUrl, parseConnection, type Connection } from './url.js';

export interface DatabaseTarget {
  url: string;
  /** Where the URL came from, for messages: "--database-url", "DATABASE_URL (.env)"... */
  source: string;
  /** Another database on the same server (the maintenance database), instead of the URL's. */
  database?: string;
  /** The URL as pg reads it: set by resolveDatabase, else parsed on first use (connectionOf). */
  conn?: Connection;
}

/**
 * Which database `tm db` talks to: `--database-url`, else `DIRECT_URL` (session advisory
 * locks do not survive transaction-mode poolers), else `DATABASE_URL` (environment,
 * `.env.local`, `.env`), else the URL of `services.postgres`.
 */
export async function resolveDatabase(config: Config, flag?: string, env: NodeJS.ProcessEnv = process.env): Promise<DatabaseTarget & { conn: Connection }> {
  const target = await findDatabase(config, flag, env);
  // A URL pg cannot read fails here, before any prompt.
  return { ...target, conn: parseConnection(target.url, target.source, env) };
}

/** The target's URL as pg reads it, parsed once per target. */
export function connectionOf(target: DatabaseTarget): Connection {
  target.conn ??= parseConnection(target.url, target.source);
  return target.conn;
}

async function findDatabase(config: Config, flag: string | undefined, env: NodeJS.ProcessEnv): Promise<DatabaseTarget> {
  if (flag) return { url: flag, source: '--database-url' };
  const vars = await projectVariables(config.root, env);
  for (const key of ['DIRECT_URL', 'DATABASE_URL'] as const) {
    const url = vars[key];
    if (!url) continue;
    // A value of the env files that tm wrote names the branch's database (db.branches); one
    // set in the environment is the caller's explicit choice, as --database-url is.
    const followed = env[key] === undefined ? followBranch(config, url) : url;
    return { url: followed, source: followed === url ? key : `${key} (following branch ${config.branch?.branch ?? 'detached HEAD'})` };
  }
  const pg = config.services.find((s) => s.kind === 'postgres');
  if (pg) return { url: serviceUrl(pg, true)!, source: `services.${pg.name} in taskmaster.yml` };
  throw new TmError('TM_NO_DATABASE', 'no database to talk to', {
    exit: EXIT.config,
    hint: 'pass --database-url, set DATABASE_URL, or declare services.postgres in taskmaster.yml',
  });
}

/** Who we are, in `application_name`, so a lock holder can be named (63 bytes at most). */
export function runnerIdentity(role: string): string {
  const since = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return `tm ${role} pid=${process.pid} host=${hostname().slice(0, 16)} since=${since}`.slice(0, 63);
}

/** pg's client settings for a target: the URL as pg reads it, its database replaced if asked. */
export function clientConfig(target: DatabaseTarget, applicationName: string, timeoutMs: number): ClientConfig & { schema?: string } {
  const conn = connectionOf(target);
  return {
    ...conn.config,
    ...(target.database ? { database: target.database } : {}),
    application_name: applicationName,
    connectionTimeoutMillis: timeoutMs,
    schema: target.database ? undefined : conn.schema,
  };
}

/**
 * Connects as a named runner. With Prisma's `?schema=` in the URL the session works in that
 * schema (search_path), as Prisma's does; `createSchema` creates it first when missing.
 */
export async function connect(target: DatabaseTarget, applicationName: string, timeoutMs = 10_000, opts: { createSchema?: boolean } = {}): Promise<Client> {
  const { schema, ...config } = clientConfig(target, applicationName, timeoutMs);
  // Lazy: pg is heavy, and many commands resolve a target without connecting (tm status with Postgres stopped, tm db new).
  const { default: pg } = await import('pg');
  let client: Client;
  try {
    client = new pg.Client(config);
  } catch (err) {
    throw invalidUrl(target.url, target.source, err);
  }
  client.on('error', () => {}); // a dropped connection surfaces through the next query
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw unreachable(target, err);
  }
  if (schema) {
    try {
      if (opts.createSchema) await ensureSchema(client, schema);
      await client.query(`SET search_path TO ${client.escapeIdentifier(schema)}`);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
  }
  return client;
}

/** Connects as the runner `role`, runs `work`, and closes the connection however it ends. */
export async function withClient<T>(
  target: DatabaseTarget,
  role: string,
  work: (client: Client) => Promise<T>,
  opts: { createSchema?: boolean } = {},
): Promise<T> {
  const client = await connect(target, runnerIdentity(role), undefined, opts);
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** CREATE SCHEMA only when missing: IF NOT EXISTS alone still needs CREATE on the database. */
async function ensureSchema(client: Client, schema: string): Promise<void> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (rowCount) return;
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${client.escapeIdentifier(schema)}`);
  } catch (err) {
    throw new TmError('TM_DB_SCHEMA', `cannot create schema "${schema}" (from ?schema= in the database URL): ${errorText(err)}`, {
      exit: EXIT.migration,
      hint: `create it as a role that may (CREATE SCHEMA "${schema}"), or grant CREATE on the database to this user`,
      cause: err,
    });
  }
}

export function unreachable(target: DatabaseTarget, err: unknown): TmError {
  return new TmError('TM_DB_UNREACHABLE', `cannot connect to the database (${target.source}): ${errorText(err)}`, {
    exit: EXIT.runtime,
    hint: target.source.startsWith('services.') ? 'tm up starts it; tm db wait waits for it' : `check ${target.source.split(' ')[0]}`,
    cause: err,
  });
}
