import type { Client } from 'pg';
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

/** Applied migrations in version order; [] when the table does not exist yet (read-only). */
export async function readHistory(client: Client): Promise<AppliedMigration[]> {
  const exists = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [HISTORY_TABLE]);
  if (!exists.rows[0]?.t) return [];
  const { rows } = await client.query<AppliedMigration>(`SELECT version, name, checksum, applied_at, duration_ms FROM ${HISTORY_TABLE}`);
  return rows.sort((a, b) => compareVersions(a.version, b.version));
}
