import { hostname } from 'node:os';
import type { Client } from 'pg';
import type { Config } from '../config/load.js';
import { projectVariables } from '../env/files.js';
import { EXIT, TmError, errorText } from '../errors.js';
import { serviceUrl } from '../stack/services.js';

export interface DatabaseTarget {
  url: string;
  /** Where the URL came from, for messages: "--database-url", "DATABASE_URL (.env)"... */
  source: string;
}

/**
 * Which database `tm db` talks to: `--database-url`, else `DIRECT_URL` (session advisory
 * locks do not survive transaction-mode poolers), else `DATABASE_URL` (environment,
 * `.env.local`, `.env`), else the URL of `services.postgres`.
 */
export async function resolveDatabase(config: Config, flag?: string, env: NodeJS.ProcessEnv = process.env): Promise<DatabaseTarget> {
  if (flag) return { url: flag, source: '--database-url' };
  const vars = await projectVariables(config.root, env);
  if (vars.DIRECT_URL) return { url: vars.DIRECT_URL, source: 'DIRECT_URL' };
  if (vars.DATABASE_URL) return { url: vars.DATABASE_URL, source: 'DATABASE_URL' };
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

export async function connect(target: DatabaseTarget, applicationName: string, timeoutMs = 10_000): Promise<Client> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: target.url, application_name: applicationName, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {}); // a dropped connection surfaces through the next query
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw unreachable(target, err);
  }
  return client;
}

export function unreachable(target: DatabaseTarget, err: unknown): TmError {
  return new TmError('TM_DB_UNREACHABLE', `cannot connect to the database (${target.source}): ${errorText(err)}`, {
    exit: EXIT.runtime,
    hint: target.source.startsWith('services.') ? 'tm up starts it; tm db wait waits for it' : `check ${target.source.split(' ')[0]}`,
    cause: err,
  });
}
