import { resolveDatabase, type DatabaseTarget } from '../../db/connect.js';
import { urlPassword } from '../../env/mask.js';
import type { Config } from '../../config/load.js';
import { isTmError } from '../../errors.js';
import { describeBranchUse, useBranchDatabase } from '../../stack/branch.js';
import { requireOwnPorts } from '../../stack/claim.js';
import type { Context } from '../context.js';
import type { Duration } from '../options.js';

/** What every `tm db` command takes (program.ts adds --database-url to each). */
export type DbFlags = { databaseUrl?: string };
/** What the commands that change the migration history take, besides. */
export type LockFlags = { lockTimeout: Duration };

/**
 * The database a `tm db` command talks to, with its password registered as a secret. With
 * db.branches it is the branch's database, made on first use (`branch: 'make'`); a command
 * that replaces the database (reset, restore, import) makes it itself and calls onBranch after.
 */
export async function dbTarget(ctx: Context, opts: DbFlags, branch: 'make' | 'later' = 'make'): Promise<DatabaseTarget> {
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
  if (branch === 'make') await onBranch(ctx, config, target);
  return target;
}

/** The branch step (stack/branch.ts), its outcome told on stderr. */
export async function onBranch(ctx: Context, config: Config, target: DatabaseTarget | undefined): Promise<void> {
  const use = await useBranchDatabase(config, target);
  if (!use) return;
  ctx.out.debug(`branch ${use.branch ?? '(detached HEAD)'}: database ${use.database}`);
  const said = describeBranchUse(use);
  if (said) ctx.out.info(said);
  if (use.envProblem) ctx.out.warn(`.env was not pointed at ${use.database}: ${use.envProblem}`);
}

/**
 * The branch step for a command that does not need the database itself to be up (the hook,
 * tm psql, which reports a stopped server its own way): with the server down, .env is still
 * kept and false is returned (the database is made by the next command that reaches it).
 */
export async function onBranchIfUp(ctx: Context, config: Config, target: DatabaseTarget | undefined): Promise<boolean> {
  try {
    await onBranch(ctx, config, target);
    return true;
  } catch (err) {
    if (!isTmError(err) || err.code !== 'TM_DB_UNREACHABLE') throw err;
    await onBranch(ctx, config, undefined);
    return false;
  }
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
