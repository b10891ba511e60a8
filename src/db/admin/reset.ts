import { createHash } from 'node:crypto';
import type { Client } from 'pg';
import { isProjectDatabase } from '../../config/branch.js';
import type { Config } from '../../config/load.js';
import type { DatabaseTarget } from '../connect.js';
import {
  cloneDatabase,
  createDatabase,
  dropDatabase,
  guardReplace,
  nameTag,
  readPrivileges,
  requirePrivileges,
  terminateConnections,
  withMaintenance,
} from './databases.js';
import { openMigrations } from '../migrations/layouts.js';
import type { Migrations } from '../migrations/types.js';
import { readSeeds, seed } from '../seeds/seed.js';
import { whileReplacing } from './replace-lock.js';
import { resetSchema, schemaOf } from './schema-mode.js';

export interface ResetResult {
  database: string;
  /** With ?schema= in the URL: the schema that was reset (the rest of the database stays). */
  schema?: string;
  /** `template`: copied from the cached template; `replay`: migrations and seeds ran. */
  path: 'template' | 'replay';
  migrations: number;
  seeds: number;
  terminated: number;
}

/** A hash of everything that shapes a fresh database: migration files, seed files, the env. */
export async function inputsHash(config: Config, migrations: Migrations, env: string): Promise<string> {
  const h = createHash('sha256').update(`env:${env}\n`);
  for (const m of await migrations.files()) h.update(`m:${m.path}:${m.checksum}\n`);
  for (const s of await readSeeds(config, env)) h.update(`s:${s.path}:${s.checksum}\n`);
  return h.digest('hex');
}

/** The name every reset template of database `db` starts with. */
export function templatePrefix(db: string): string {
  return `tm_tpl_${nameTag(db)}_`;
}

/**
 * Whose templates database `db` uses: a branch database shares the configured database's
 * (the files, not the branch, make a template), so an older branch's schema is still cached.
 */
export function templateKey(config: Pick<Config, 'branch'>, db: string): string {
  return config.branch && isProjectDatabase(config.branch.base, db) ? config.branch.base : db;
}

/** The reset template of database `db` for the inputs whose hash is `hash` (inputsHash). */
export function templateName(db: string, hash: string): string {
  return `${templatePrefix(db)}${hash.slice(0, 16)}`;
}

/**
 * Drop, create, migrate, seed. Template databases keyed by the hash of the inputs are kept
 * (the `db.templates` most recently used), so a reset with files seen recently (the same
 * ones, or those of a branch checked out again) is one CREATE DATABASE ... TEMPLATE. With
 * db.branches, the branches' databases share the configured database's templates.
 */
export async function resetDatabase(
  config: Config,
  target: DatabaseTarget,
  opts: { env: string; force?: boolean; onStep?: (m: string) => void },
): Promise<ResetResult> {
  return whileReplacing(target, 'reset', () => resetNow(config, target, opts));
}

/** Records when a template was last used, in its comment: the least recently used go first. */
async function markUsed(client: Client, template: string): Promise<void> {
  await client.query(
    `COMMENT ON DATABASE ${client.escapeIdentifier(template)} IS ${client.escapeLiteral(JSON.stringify({ tm: 'template', used_at: new Date().toISOString() }))}`,
  );
}

/** The templates of `prefix` beyond the `keep` most recently used (one without a date counts as oldest). */
async function templatesToDrop(client: Client, prefix: string, keep: number): Promise<string[]> {
  const { rows } = await client.query<{ datname: string; comment: string | null }>(
    `SELECT datname, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE starts_with(datname, $1)`,
    [prefix],
  );
  const usedAt = (comment: string | null): string => {
    try {
      return String((JSON.parse(comment ?? '') as { used_at?: unknown }).used_at ?? '');
    } catch {
      return '';
    }
  };
  return rows
    .map((r) => ({ name: r.datname, used: usedAt(r.comment) }))
    .sort((a, b) => b.used.localeCompare(a.used))
    .slice(keep)
    .map((t) => t.name);
}

async function resetNow(config: Config, target: DatabaseTarget, opts: { env: string; force?: boolean; onStep?: (m: string) => void }): Promise<ResetResult> {
  const db = await guardReplace(target, 'reset', opts.force);
  // ?schema=: only that schema is the project's (no template: those are whole databases).
  if (schemaOf(target)) return resetSchema(config, target, opts);
  const migrations = await openMigrations(config);
  const hash = await inputsHash(config, migrations, opts.env);
  const prefix = templatePrefix(templateKey(config, db));
  const template = templateName(templateKey(config, db), hash);
  const gone = `${db} was dropped; fix this and run tm db reset again to create it`;

  const cached = await withMaintenance(target, 'reset', async (client) => {
    const me = await readPrivileges(client, [db, template]);
    requirePrivileges(client, me, { createdb: true, own: [db, template], command: 'tm db reset' });
    const terminated = me.databases.has(db) ? await terminateConnections(client, db) : 0;
    await dropDatabase(client, db);
    if (me.databases.has(template)) {
      await cloneDatabase(client, db, template, gone);
      await markUsed(client, template);
      return { terminated };
    }
    await createDatabase(client, db, gone);
    return { terminated, replay: true };
  });
  if (!('replay' in cached)) return { database: db, path: 'template', migrations: 0, seeds: 0, terminated: cached.terminated };

  opts.onStep?.('replaying migrations');
  const migrated = (await migrations.migrate(target)).applied.length;
  opts.onStep?.('seeding');
  const seeded = (await seed(config, target, { env: opts.env })).ran.length;
  await withMaintenance(target, 'reset', async (client) => {
    await terminateConnections(client, db);
    await cloneDatabase(client, template, db, `${db} is reset; only the template cache for the next reset is missing`);
    await markUsed(client, template);
    for (const old of await templatesToDrop(client, prefix, config.db.templates)) await dropDatabase(client, old);
  });
  return { database: db, path: 'replay', migrations: migrated, seeds: seeded, terminated: cached.terminated };
}
