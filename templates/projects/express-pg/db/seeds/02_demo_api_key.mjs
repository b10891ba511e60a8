// A demo API key: its raw value is printed once, only its hash is stored.
import { createHash, randomBytes } from 'node:crypto';

export default async function seed(client) {
  const { rows } = await client.query("SELECT 1 FROM api_keys WHERE name = 'demo'");
  if (rows.length > 0) return; // already there: never print or replace it again
  const raw = `dh_${randomBytes(24).toString('base64url')}`;
  const hash = createHash('sha256').update(raw).digest('hex');
  const { rows: [key] } = await client.query(
    "INSERT INTO api_keys (name, key_prefix, key_hash, scopes) VALUES ('demo', $1, $2, '{read,write}') RETURNING id",
    [raw.slice(0, 8), hash],
  );
  await client.query('INSERT INTO rate_limits (api_key_id) VALUES ($1)', [key.id]);
  console.error(`demo API key (shown once, stored hashed): ${raw}`);
}
