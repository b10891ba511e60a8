// Checks the database of DATABASE_URL (from the environment in CI, else from .env): the
// Prisma migration is recorded as applied and the demo data is there.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import pg from 'pg';

if (existsSync('.env')) process.loadEnvFile('.env');
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
before(() => client.connect());
after(() => client.end());

test('the init migration is applied', async () => {
  const { rows } = await client.query(`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`);
  assert.deepEqual(rows.map((r) => r.migration_name), ['20240101000000_init']);
});

test('the demo project has its two tasks', async () => {
  const { rows } = await client.query(`SELECT count(*)::int AS n FROM "Task" t JOIN "Project" p ON p.id = t."projectId" WHERE p.name = 'Getting Started'`);
  assert.equal(rows[0].n, 2);
});
