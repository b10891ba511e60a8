// Helpers shared by the benchmark cases.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A free TCP port on 127.0.0.1 (asked of the OS in a child, since cases run synchronously). */
export function freePort() {
  return Number(
    execFileSync(process.execPath, [
      '-e',
      "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})",
    ]).toString(),
  );
}

/** Times `start` only; `stop` (clean-up for the next run) is not measured. */
export const timedUntil = (start, stop) => () => {
  const t0 = performance.now();
  start();
  const ms = performance.now() - t0;
  stop();
  return ms;
};

/** Times `work(prepare())`; preparing a fresh database or folder is not measured. */
export const timedAfter = (prepare, work) => () => {
  const arg = prepare();
  const t0 = performance.now();
  work(arg);
  return performance.now() - t0;
};

/**
 * Epoch ms at which Postgres on `port` first answered SELECT 1, found by an independent
 * process that opens a new connection every 5 ms (100 ms per attempt), so the truth about
 * readiness does not come from the tool being measured. Start it before the tool.
 */
export function firstAnswer(port, { user = 'postgres', password, database }) {
  const pgPath = fileURLToPath(new URL('../node_modules/pg/lib/index.js', import.meta.url));
  const conn = JSON.stringify({ host: '127.0.0.1', port, user, password, database, connectionTimeoutMillis: 100 });
  const script = `const pg = require(${JSON.stringify(pgPath)});
const deadline = Date.now() + 60000;
(async () => {
  while (Date.now() < deadline) {
    const c = new pg.Client(${conn});
    c.on('error', () => {});
    try { await c.connect(); await c.query('SELECT 1'); console.log(Date.now()); await c.end(); process.exit(0); }
    catch { await c.end().catch(() => {}); await new Promise((r) => setTimeout(r, 5)); }
  }
  process.exit(1);
})();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  // 'close', not 'exit': the answer may still sit in the pipe when the process has exited.
  return new Promise((resolve) => child.on('close', () => resolve(Number(out.trim()))));
}

/**
 * The folder of a hand-written script's servers: `redis/` and `sock/` inside; as root, the
 * folder and `sock/` belong to the postgres user, who runs initdb and the server there.
 */
export function scriptFolder(dir) {
  mkdirSync(join(dir, 'redis'), { recursive: true });
  mkdirSync(join(dir, 'sock'), { recursive: true });
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']));
    const gid = Number(execFileSync('id', ['-g', 'postgres']));
    chownSync(dir, uid, gid);
    chownSync(join(dir, 'sock'), uid, gid);
  }
  return dir;
}

/** A case's teardown: `tm down --volumes` in its project (whatever state setup left), then its folder goes. */
export function removeProject(tm, dir) {
  try {
    tm('down', '--volumes');
  } catch {}
  rmSync(dir, { recursive: true, force: true });
}
