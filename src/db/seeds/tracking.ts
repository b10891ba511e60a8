import type { Client } from 'pg';

/** Where each seed run is recorded: path, checksum, env and when it ran. */
export const SEEDS_TABLE = 'tm_seeds';

/**
 * A seed's run belongs to the schema it filled: rolling back a migration applied before a seed
 * ran forgets that run (its tables may be gone or emptied), so the next `tm db seed` runs it
 * again. Seeds that ran before that migration are kept.
 */
export async function forgetSeedsSince(client: Client, since: Date | undefined): Promise<void> {
  if (!since) return;
  const { rows } = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [SEEDS_TABLE]);
  if (rows[0]?.present) await client.query(`DELETE FROM ${SEEDS_TABLE} WHERE applied_at >= $1`, [since]);
}
