// DataHub API gateway: health endpoints that tell the truth about the database and Redis.
import express from 'express';
import Redis from 'ioredis';
import pg from 'pg';

const port = Number(process.env.PORT ?? 3000);

// Pool sized for a gateway: 2 warm connections, at most 20, idle ones closed after 30 s,
// and a request fails after 5 s instead of queueing forever when the database is away.
export const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  min: 2,
  max: 20,
  idleTimeoutMillis: 30_000,
  connectionTimeoutMillis: 5_000,
});
pool.on('error', (err) => console.error(`postgres pool: ${err.message}`));

// Reconnect with a capped backoff; give up on a command after 2 retries.
export const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  maxRetriesPerRequest: 2,
  retryStrategy: (times) => Math.min(times * 200, 5_000),
});
redis.on('error', (err) => console.error(`redis: ${err.message}`));

async function timed(check) {
  const t0 = performance.now();
  try {
    await check();
    return { status: 'ok', latency_ms: Math.round((performance.now() - t0) * 10) / 10 };
  } catch (err) {
    return { status: 'error', latency_ms: Math.round((performance.now() - t0) * 10) / 10, error: err.message };
  }
}

const app = express();
app.get('/health', (_req, res) => res.json({ status: 'ok' }));
app.get('/health/live', (_req, res) => res.json({ status: 'ok', uptime_s: Math.round(process.uptime()) }));
app.get('/health/ready', async (_req, res) => {
  const [database, cache] = await Promise.all([timed(() => pool.query('SELECT 1')), timed(() => redis.ping())]);
  const ok = database.status === 'ok' && cache.status === 'ok';
  res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'error', checks: { database, redis: cache } });
});

const server = app.listen(port, () => console.log(`api listening on ${server.address().port}`));
const stop = () => server.close(async () => {
  await Promise.allSettled([pool.end(), redis.quit()]);
  process.exit(0);
});
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
