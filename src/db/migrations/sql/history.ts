import type { Client } from 'pg';
import { EXIT, TmError, errorText } from '../../../errors.js';
import { compareVersions } from './file.js';

export const HISTORY_TABLE = 'tm_schema_migrations';

/** One applied migration, as recorded. */
export interface AppliedMigration {
  version: string;
  name: string;
  checksum: string;
  applied_at: Date;
  duration_ms: number;
}

/** Created while holding the migration lock, so two first runs do not race. */
export async function ensureHistory(client: Client): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
    version     text PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    duration_ms integer NOT NULL
  )`);
}

/**
 * Applied migrations in version order; [] when the table does not exist yet (read-only). A
 * table someone altered (a column gone or retyped, a NULL where tm always writes a value) is
 * a one-line error naming the row or column, never a crash deeper in.
 */
export async function readHistory(client: Client): Promise<AppliedMigration[]> {
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [HISTORY_TABLE]);
  if (!exists.rows[0]?.t) return [];
  let rows: Record<string, unknown>[];
  try {
    // Cast to what tm reads, so a retyped column reads the same or fails here.
    ({ rows } = await client.query(`SELECT version::text, name::text, checksum::text, applied_at::timestamptz, duration_ms::integer FROM ${HISTORY_TABLE}`));
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (!code?.startsWith('42') && !code?.startsWith('22')) throw err;
    throw damaged(
      `its columns are not the ones tm records (version, name, checksum, applied_at, duration_ms): ${errorText(err)}`,
      `restore the table's columns, or rename it (ALTER TABLE ${HISTORY_TABLE} RENAME TO ${HISTORY_TABLE}_old) ` +
        `and record what is applied again (tm db migrate on a fresh database, or tm db repair)`,
    );
  }
  for (const row of rows) {
    const missing = ['version', 'name', 'checksum', 'applied_at', 'duration_ms'].find((c) => row[c] === null || row[c] === undefined);
    if (missing === undefined) continue;
    const which = row.version === null ? 'a row with no version' : `the row of version ${String(row.version)}`;
    throw damaged(
      `${which} has no ${missing}`,
      row.version === null
        ? `delete or fix that row (SELECT * FROM ${HISTORY_TABLE} WHERE version IS NULL)`
        : `set it (UPDATE ${HISTORY_TABLE} SET ${missing} = ... WHERE version = '${String(row.version)}'), ` +
            `or forget the row with tm db repair ${String(row.version)} once its file is gone`,
    );
  }
  return (rows as unknown as AppliedMigration[]).sort((a, b) => compareVersions(a.version, b.version));
}

function damaged(what: string, hint: string): TmError {
  return new TmError('TM_HISTORY_DAMAGED', `the migration history (${HISTORY_TABLE}) was altered: ${what}; nothing was run`, { exit: EXIT.migration, hint });
}
