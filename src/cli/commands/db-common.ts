import { resolveDatabase, type DatabaseTarget } from '../../db/connect.js';
import { urlPassword } from '../../env/mask.js';
import { requireOwnPorts } from '../../stack/claim.js';
import type { Context } from '../context.js';
import type { Duration } from '../options.js';

/** What every `tm db` command takes (program.ts adds --database-url to each). */
export type DbFlags = { databaseUrl?: string };
/** What the commands that change the migration history take, besides. */
export type LockFlags = { lockTimeout: Duration };

/** The database a `tm db` command talks to, with its password registered as a secret. */
export async function dbTarget(ctx: Context, opts: DbFlags): Promise<DatabaseTarget> {
  const url = opts.databaseUrl;
  if (url) ctx.out.addSecret(urlPassword(url));
  const config = await ctx.config();
  const target = await resolveDatabase(config, url);
  // The URL of services.postgres in a stack not up yet is another stack's database.
  if (target.source.startsWith('services.')) requireOwnPorts(config, 'tm db');
  // pg also takes a function for the password; tm's URLs carry it as text.
  const { password } = target.conn.config;
  if (typeof password === 'string') ctx.out.addSecret(password);
  for (const note of target.conn.notes) ctx.out.warn(note);
  ctx.out.debug(`database: ${target.source}`);
  return target;
}

/** 1536 -> "1.5 kB", for transfer progress. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
