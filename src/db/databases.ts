import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import { EXIT, TmError } from '../errors.js';
import { connect, runnerIdentity, type DatabaseTarget } from './connect.js';

/** The database a URL names. */
export function databaseName(target: DatabaseTarget): string {
  const name = decodeURIComponent(new URL(target.url).pathname.replace(/^\//, ''));
  if (!name) throw new TmError('TM_NO_DATABASE', `the database URL (${target.source}) names no database`, { exit: EXIT.config, hint: 'end the URL with /<database>' });
  return name;
}

/** The same server, its `postgres` maintenance database: where DROP/CREATE DATABASE run. */
export function maintenanceTarget(target: DatabaseTarget): DatabaseTarget {
  const u = new URL(target.url);
  u.pathname = '/postgres';
  return { url: u.toString(), source: target.source };
}

/** Only databases on this machine are dropped without --force. */
export function isLocal(target: DatabaseTarget): boolean {
  const host = new URL(target.url).hostname.replace(/^\[|\]$/g, '');
  return host === '' || host === 'localhost' || host === '::1' || host.startsWith('127.') || host.startsWith('/');
}

export async function withMaintenance<T>(target: DatabaseTarget, role: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await connect(maintenanceTarget(target), runnerIdentity(role));
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Ends every other session on `db` (CREATE DATABASE ... TEMPLATE needs none); returns how many. */
export async function terminateConnections(client: Client, db: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [db],
  );
  return rows[0]!.n;
}

export async function databaseExists(client: Client, db: string): Promise<boolean> {
  return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount! > 0;
}

/**
 * CREATE DATABASE ... TEMPLATE with the server's default strategy: WAL_LOG (15+) measured
 * faster here than FILE_COPY, whose forced checkpoints dominate for many small tables.
 */
export async function cloneDatabase(client: Client, name: string, template: string): Promise<void> {
  await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)} TEMPLATE ${client.escapeIdentifier(template)}`);
}

export async function dropDatabase(client: Client, name: string): Promise<void> {
  await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)}`);
}

/** A short stable tag of a database name, so derived names stay within 63 bytes. */
export function nameTag(db: string): string {
  return createHash('sha256').update(db).digest('hex').slice(0, 8);
}
