import type { Config } from '../../config/load.js';
import { EXIT, TmError, errorText } from '../../errors.js';
import { connect, connectionOf, runnerIdentity, type DatabaseTarget } from '../connect.js';
import { openMigrations } from '../migrations/layouts.js';
import { seed } from '../seeds/seed.js';
import { databaseName } from './databases.js';
import type { ResetResult } from './reset.js';

// With `?schema=NAME` in the URL (Prisma's convention) a project owns one schema of a
// database that others may share: what replaces data works on that schema only. Copies
// (snapshots, the template cache) are of whole databases, so they are refused there.

/** The schema a URL confines tm to, if any. */
export function schemaOf(target: DatabaseTarget): string | undefined {
  return connectionOf(target).schema;
}

/** Snapshots copy a whole database: refused when the URL names one schema of it. */
export function refuseWholeDatabaseCopy(target: DatabaseTarget, command: string): void {
  const schema = schemaOf(target);
  if (!schema) return;
  const db = databaseName(target);
  throw new TmError(
    'TM_SCHEMA_MODE',
    `${command} copies the whole database ${db}, but ?schema=${schema} in the URL ` +
      `(${target.source}) gives this project only schema ${schema}; nothing was changed`,
    {
      exit: EXIT.usage,
      hint: `copy the schema with pg_dump -n ${schema}, or, if the whole database is this project's, use a URL without ?schema= (--database-url)`,
    },
  );
}

/**
 * `tm db reset` in schema mode: DROP SCHEMA ... CASCADE and CREATE SCHEMA (same owner) in one
 * transaction, then migrate and seed into it. Other schemas and the database itself stay.
 */
export async function resetSchema(config: Config, target: DatabaseTarget, opts: { env: string; onStep?: (m: string) => void }): Promise<ResetResult> {
  const db = databaseName(target);
  const schema = schemaOf(target)!;
  if (/^(pg_|information_schema$)/.test(schema)) {
    throw new TmError('TM_DB_SYSTEM', `refusing to reset schema ${schema}: it belongs to the server`, {
      exit: EXIT.usage,
      hint: 'point ?schema= at the schema of this project',
    });
  }
  const client = await connect(target, runnerIdentity('reset'));
  try {
    const { rows } = await client.query<{ owner: string; ok: boolean; me: string }>(
      `SELECT pg_get_userbyid(nspowner) AS owner, pg_has_role(current_user, nspowner, 'USAGE') AS ok, current_user AS me FROM pg_namespace WHERE nspname = $1`,
      [schema],
    );
    const found = rows[0];
    if (found && !found.ok) {
      throw new TmError(
        'TM_DB_PRIVILEGES',
        `role ${found.me} does not own schema ${schema} (its owner is ${found.owner}), which tm db reset needs; nothing was changed`,
        {
          exit: EXIT.config,
          hint: `as a superuser: ALTER SCHEMA ${client.escapeIdentifier(schema)} OWNER TO ${client.escapeIdentifier(found.me)}`,
        },
      );
    }
    const owner = client.escapeIdentifier(found?.owner ?? (await client.query<{ me: string }>('SELECT current_user AS me')).rows[0]!.me);
    opts.onStep?.(`dropping schema ${schema} of ${db}`);
    await client.query('BEGIN');
    try {
      // Sessions using the schema hold locks; waiting on them forever would hang the reset.
      await client.query("SET LOCAL lock_timeout = '10s'");
      await client.query(`DROP SCHEMA IF EXISTS ${client.escapeIdentifier(schema)} CASCADE`);
      await client.query(`CREATE SCHEMA ${client.escapeIdentifier(schema)} AUTHORIZATION ${owner}`);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      const code = (err as { code?: string }).code;
      throw new TmError('TM_DB_DDL', `resetting schema ${schema} failed: ${errorText(err)}${code ? ` (SQLSTATE ${code})` : ''}; nothing was changed`, {
        exit: code === '55P03' ? EXIT.timeout : code === '42501' ? EXIT.config : EXIT.migration,
        hint: code === '55P03' ? `other sessions are using schema ${schema}: stop them (the app, a psql) and run tm db reset again` : 'see the server message',
        cause: err,
      });
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  opts.onStep?.('replaying migrations');
  const migrated = (await (await openMigrations(config)).migrate(target)).applied.length;
  opts.onStep?.('seeding');
  const seeded = (await seed(config, target, { env: opts.env })).ran.length;
  return { database: db, schema, path: 'replay', migrations: migrated, seeds: seeded, terminated: 0 };
}
