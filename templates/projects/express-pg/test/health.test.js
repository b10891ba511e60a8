// Starts the gateway on a free port against the database and Redis of DATABASE_URL and
// REDIS_URL (from the environment in CI, else from .env) and checks its health endpoints.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';

if (existsSync('.env')) process.loadEnvFile('.env');
let server;
let base;

before(async () => {
  server = spawn(process.execPath, ['src/server.js'], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /listening on (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    server.once('exit', (code) => reject(new Error(`the server exited with ${code} before listening`)));
  });
  base = `http://127.0.0.1:${port}`;
});
after(() => server?.kill('SIGTERM'));

test('/health/live answers 200', async () => {
  const res = await fetch(`${base}/health/live`);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).status, 'ok');
});

test('/health/ready reports the database and Redis as ok', async () => {
  const res = await fetch(`${base}/health/ready`);
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.checks.database.status, 'ok');
  assert.equal(body.checks.redis.status, 'ok');
});
