import { createHash, randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import type { Config } from '../../config/load.js';
import { isTmError } from '../../errors.js';
import { cloneDatabase, createDatabase, databaseName, dropDatabase, nameTag, readPrivileges, requirePrivileges, withMaintenance } from '../admin/databases.js';
import { inputsHash, templateKey, templateName, templatePrefix } from '../admin/reset.js';
import { whileReplacing } from '../admin/replace-lock.js';
import { connectionOf, type DatabaseTarget } from '../connect.js';
import type { Migrations } from '../migrations/types.js';

// The schema the migration files produce, where it can be read like the live one. Reset's cached
// template of the current files is that schema already: it is read as it is, while reset's
// turn is held (a reset copies from it, which PostgreSQL refuses while anyone is connected).
// Otherwise a scratch database on the same server (same version, same extensions available) is
// made, copied from an older template when there is one (then only what it lacks is applied),
// else empty and migrated, and dropped however the run ends; one left by a run that was killed
// is dropped by the next run (see sweepOrphans). Copying and dropping cost a checkpoint each
// (PostgreSQL 15 forces one on DROP DATABASE): the template read costs none.

/** How the expected schema was built. */
export interface ExpectedSource {
  /** `template`: reset's cached template (read as it is, or copied and migrated); `files`: an empty database, migrated. */
  from: 'template' | 'files';
  template?: string;
  /** Migrations applied to build it (beyond the template's, when it started from one). */
  applied: number;
}

export interface ExpectedOptions {
  /** Ctrl-C or a time limit: stops between steps (and between migration files); the scratch is dropped. */
  signal?: AbortSignal;
  /** The seed environment whose reset template is tried first. */
  env: string;
}

/**
 * Runs `read` on a database holding the schema of `migrations`: reset's template of these
 * files, else a scratch database beside `target`'s that is dropped afterwards (which needs
 * CREATEDB, checked before anything is made).
 */
export async function withExpectedSchema<T>(
  config: Config,
  target: DatabaseTarget,
  migrations: Migrations,
  opts: ExpectedOptions,
  read: (database: DatabaseTarget) => Promise<T>,
): Promise<{ value: T; source: ExpectedSource }> {
  const db = databaseName(target);
  const prefix = scratchPrefix(db);
  const name = `${prefix}${randomBytes(4).toString('hex')}`;
  const schemaMode = Boolean(connectionOf(target).schema);
  return withMaintenance(target, 'drift', async (admin) => {
    // Templates are of whole databases: none with ?schema= (reset makes none there either).
    const key = templateKey(config, db);
    const exact = schemaMode ? undefined : templateName(key, await inputsHash(config, migrations, opts.env));
    const template = exact && (await findTemplate(admin, key, exact));
    if (template === exact && exact) {
      const value = await whileReplacing(target, 'drift', () => read(otherDatabase(target, exact, `the template ${exact}`))).catch((err: unknown) => {
        if (opts.signal?.aborted) throw err;
        return undefined; // replaced by a reset meanwhile: build it instead
      });
      if (value !== undefined) return { value, source: { from: 'template', template: exact, applied: 0 } };
    }
    const me = await readPrivileges(admin, []);
    requirePrivileges(admin, me, { createdb: true, own: [], command: 'tm db drift (it builds the schema of the migrations in a scratch database)' });
    await sweepOrphans(admin, prefix);
    // Held while the scratch database exists: what tells a live run's scratch from an orphan.
    await admin.query('SELECT pg_advisory_lock($1)', [scratchKey(name)]);
    try {
      const scratch = otherDatabase(target, name, `the scratch database ${name}`);
      if (
        template &&
        (await cloneDatabase(admin, name, template).then(
          () => true,
          () => false,
        ))
      ) {
        opts.signal?.throwIfAborted();
        // The template may be of other files (older, or another seed environment): what it lacks is applied.
        const applied = await migrations.migrate(scratch, { signal: opts.signal }).then(
          (r) => r.applied.length,
          (err: unknown) => {
            if (opts.signal?.aborted || !isTmError(err)) throw err;
            return undefined; // its history does not lead to these files: start from an empty database
          },
        );
        if (applied !== undefined) return { value: await read(scratch), source: { from: 'template', template, applied } };
        await dropDatabase(admin, name);
      }
      await createDatabase(admin, name, 'nothing was changed');
      opts.signal?.throwIfAborted();
      const applied = (await migrations.migrate(scratch, { signal: opts.signal })).applied.length;
      opts.signal?.throwIfAborted();
      return { value: await read(scratch), source: { from: 'files', applied } };
    } finally {
      // A scratch database that cannot be dropped now is dropped by the next run's sweep.
      await dropDatabase(admin, name).catch(() => undefined);
      await admin.query('SELECT pg_advisory_unlock($1)', [scratchKey(name)]).catch(() => undefined);
    }
  });
}

/** The name every scratch database of `db` starts with. */
export function scratchPrefix(db: string): string {
  return `tm_drift_${nameTag(db)}_`;
}

/** The same server and URL settings (`?schema=` included), another database. */
function otherDatabase(target: DatabaseTarget, name: string, source: string): DatabaseTarget {
  const conn = connectionOf(target);
  return { url: target.url, source, conn: { ...conn, database: name, config: { ...conn.config, database: name } } };
}

/** The session advisory lock a run holds while its scratch database exists. */
function scratchKey(name: string): string {
  return BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update(`tm drift ${name}`).digest('hex').slice(0, 16)}`)).toString();
}

/**
 * Drops the scratch databases of `prefix` whose run is gone (killed before its clean-up): their
 * lock is free. One whose run is still going keeps its lock and is left alone.
 */
async function sweepOrphans(admin: Client, prefix: string): Promise<void> {
  const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
  for (const { datname } of rows) {
    const key = scratchKey(datname);
    const free = (await admin.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [key])).rows[0]!.ok;
    if (!free) continue;
    try {
      await dropDatabase(admin, datname).catch(() => undefined);
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  }
}

/** Reset's cached template of this database, `exact` (the current files') first; undefined when there is none. */
async function findTemplate(admin: Client, db: string, exact: string): Promise<string | undefined> {
  const { rows } = await admin.query<{ datname: string }>(
    'SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname = $2 DESC, datname LIMIT 1',
    [templatePrefix(db), exact],
  );
  return rows[0]?.datname;
}
