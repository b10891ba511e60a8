// Runs one TypeScript seed under the project's own tsx (see runTsSeed): connects, runs the
// seed's default export and records it, in one transaction.
import { pathToFileURL } from 'node:url';
import pg from 'pg';

const client = new pg.Client({ connectionString: process.env.TM_SEED_URL, application_name: 'tm seed' });
await client.connect();
try {
  // Prisma's ?schema= in the URL, as tm's own connections honour it.
  if (process.env.TM_SEED_SCHEMA) await client.query(`SET search_path TO ${client.escapeIdentifier(process.env.TM_SEED_SCHEMA)}`);
  await client.query('BEGIN');
  const mod = (await import(pathToFileURL(process.env.TM_SEED_FILE!).href)) as { default?: unknown };
  if (typeof mod.default !== 'function') throw new Error('the seed has no default export function');
  await (mod.default as (c: pg.Client) => unknown)(client);
  await client.query(process.env.TM_SEED_SQL!, JSON.parse(process.env.TM_SEED_TRACK!) as string[]);
  await client.query('COMMIT');
} catch (err) {
  await client.query('ROLLBACK').catch(() => undefined);
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await client.end();
}
