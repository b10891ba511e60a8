import { createHash } from 'node:crypto';
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

/** The reset template of database `db` for the inputs whose hash is `hash` (inputsHash). */
export function templateName(db: string, hash: string): string {
  return `${templatePrefix(db)}${hash.slice(0, 16)}`;
}

/**
 * Drop, create, migrate, seed. A template database keyed by the hash of the inputs is kept,
 * so the next reset with the same files is one CREATE DATABASE ... TEMPLATE.
 */
export async function resetDatabase(
  config: Config,
  target: DatabaseTarget,
  opts: { env: string; force?: boolean; onStep?: (m: string) => void },
): Promise<ResetResult> {
  return whileReplacing(target, 'reset', () => resetNow(config, target, opts));
}

async function resetNow(config: Config, target: DatabaseTarget, opts: { env: string; force?: boolean; onStep?: (m: string) => void }): Promise<ResetResult> {
  const db = await guardReplace(target, 'reset', opts.force);
  // ?schema=: only that schema is the project's (no template: those are whole databases).
  if (schemaOf(target)) return resetSchema(config, target, opts);
  const migrations = await openMigrations(config);
  const hash = await inputsHash(config, migrations, opts.env);
  const prefix = templatePrefix(db);
  const template = templateName(db, hash);
  const gone = `${db} was dropped; fix this and run tm db reset again to create it`;

  const cached = await withMaintenance(target, 'reset', async (client) => {
    const me = await readPrivileges(client, [db, template]);
    requirePrivileges(client, me, { createdb: true, own: [db, template], command: 'tm db reset' });
    const terminated = me.databases.has(db) ? await terminateConnections(client, db) : 0;
    await dropDatabase(client, db);
    if (me.databases.has(template)) {
      await cloneDatabase(client, db, template, gone);
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
  // Keep exactly one template per database: the one for these files.
  await withMaintenance(target, 'reset', async (client) => {
    const old = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const r of old.rows) await dropDatabase(client, r.datname);
    await terminateConnections(client, db);
    await cloneDatabase(client, template, db, `${db} is reset; only the template cache for the next reset is missing`);
  });
  return { database: db, path: 'replay', migrations: migrated, seeds: seeded, terminated: cached.terminated };
}
