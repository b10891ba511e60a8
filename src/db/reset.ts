import { createHash } from 'node:crypto';
import type { Config } from '../config/load.js';
import { EXIT, TmError } from '../errors.js';
import type { DatabaseTarget } from './connect.js';
import { cloneDatabase, databaseExists, databaseName, dropDatabase, isLocal, nameTag, terminateConnections, withMaintenance } from './databases.js';
import { readMigrations } from './files.js';
import { migrate, migrationsDir } from './migrate.js';
import { detectPrisma, prismaMigrate, readPrismaMigrations } from './prisma.js';
import { readSeeds, seed } from './seeds.js';

export interface ResetResult {
  database: string;
  /** `template`: copied from the cached template; `replay`: migrations and seeds ran. */
  path: 'template' | 'replay';
  migrations: number;
  seeds: number;
  terminated: number;
}

/** A hash of everything that shapes a fresh database: migration files, seed files, the env. */
export async function inputsHash(config: Config, env: string): Promise<string> {
  const h = createHash('sha256').update(`env:${env}\n`);
  const prisma = await detectPrisma(config);
  const migrations = prisma ? await readPrismaMigrations(prisma, config.root) : await readMigrations(migrationsDir(config), config.root);
  for (const m of migrations) h.update(`m:${m.path}:${m.checksum}\n`);
  for (const s of await readSeeds(config, env)) h.update(`s:${s.path}:${s.checksum}\n`);
  return h.digest('hex');
}

/**
 * Drop, create, migrate, seed. A template database keyed by the hash of the inputs is kept,
 * so the next reset with the same files is one CREATE DATABASE ... TEMPLATE.
 */
export async function resetDatabase(config: Config, target: DatabaseTarget, opts: { env: string; force?: boolean; onStep?: (m: string) => void }): Promise<ResetResult> {
  if (!isLocal(target) && !opts.force) {
    throw new TmError('TM_RESET_REMOTE', `refusing to reset a database that is not on this machine (${new URL(target.url).hostname}, from ${target.source})`, {
      exit: EXIT.usage,
      hint: 'pass --force if you really mean it',
    });
  }
  const db = databaseName(target);
  const hash = await inputsHash(config, opts.env);
  const prefix = `tm_tpl_${nameTag(db)}_`;
  const template = `${prefix}${hash.slice(0, 16)}`;

  const cached = await withMaintenance(target, 'reset', async (client) => {
    const terminated = await terminateConnections(client, db);
    await dropDatabase(client, db);
    if (await databaseExists(client, template)) {
      await cloneDatabase(client, db, template);
      return { terminated };
    }
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(db)}`);
    return { terminated, replay: true };
  });
  if (!('replay' in cached)) return { database: db, path: 'template', migrations: 0, seeds: 0, terminated: cached.terminated };

  opts.onStep?.('replaying migrations');
  const prisma = await detectPrisma(config);
  const migrated = prisma ? (await prismaMigrate(config, prisma, target)).applied.length : (await migrate(config, target)).applied.length;
  opts.onStep?.('seeding');
  const seeded = (await seed(config, target, { env: opts.env })).ran.length;
  // Keep exactly one template per database: the one for these files.
  await withMaintenance(target, 'reset', async (client) => {
    const old = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const r of old.rows) await dropDatabase(client, r.datname);
    await terminateConnections(client, db);
    await cloneDatabase(client, template, db);
  });
  return { database: db, path: 'replay', migrations: migrated, seeds: seeded, terminated: cached.terminated };
}
