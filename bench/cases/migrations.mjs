// 500 small migrations on a fresh database: tm db migrate against the floor (one psql
// session, each file in its own BEGIN/COMMIT), dbmate and node-pg-migrate; then the no-op
// run and tm db status.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, removeProject, timedAfter } from '../lib.mjs';
import { peerBin, peerVersion } from '../peers.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TM = join(ROOT, 'bin/tm.js');
const PSQL = '/usr/lib/postgresql/15/bin/psql';
let DBMATE;
let NPM_PG_MIGRATE;
const N = 500;
let dir;
let port;
let n = 0;
const url = (db) => `postgres://bench:bench-password@127.0.0.1:${port}/${db}`;

function run(file, args, opts = {}) {
  const r = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts, env: { ...process.env, CI: '1', ...opts.env } });
  if (r.status !== 0) throw new Error(`${file} ${args.slice(0, 3).join(' ')} exited ${r.status}: ${r.stderr}`);
}
const tm = (...args) => run(process.execPath, [TM, ...args], { cwd: dir });
const sql = (q) => run(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', url('postgres'), '-c', q]);
/** A fresh, empty database for one timed run (created untimed). */
function freshDb() {
  const name = `b${process.pid}_${n++}`;
  sql(`CREATE DATABASE ${name}`);
  return name;
}

const body = (i) => `CREATE TABLE t_${i} (id bigserial PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX t_${i}_name ON t_${i} (name);
INSERT INTO t_${i} (name) VALUES ('row ${i}');`;

export default {
  name: `${N} migrations`,
  setup() {
    DBMATE = peerBin('dbmate');
    NPM_PG_MIGRATE = peerBin('node-pg-migrate');
    dir = mkdtempSync(join(tmpdir(), 'tm-bench-mig-'));
    port = freePort();
    writeFileSync(
      join(dir, 'taskmaster.yml'),
      `name: benchmig\nruntime: native\nservices:\n  postgres: { port: ${port}, user: bench, password: bench-password, database: bench }\n`,
    );
    for (const d of ['tm', 'dbmate', 'npm']) mkdirSync(join(dir, d));
    let floor = '';
    for (let i = 1; i <= N; i++) {
      const version = String(20260101000000 + i);
      writeFileSync(join(dir, 'tm', `${version}_m${i}.sql`), `-- migrate:up\n${body(i)}\n-- migrate:down\nDROP TABLE t_${i};\n`);
      writeFileSync(join(dir, 'dbmate', `${version}_m${i}.sql`), `-- migrate:up\n${body(i)}\n-- migrate:down\nDROP TABLE t_${i};\n`);
      writeFileSync(join(dir, 'npm', `${version}_m${i}.sql`), `-- Up Migration\n${body(i)}\n-- Down Migration\nDROP TABLE t_${i};\n`);
      floor += `BEGIN;\n${body(i)}\nCOMMIT;\n`;
    }
    writeFileSync(join(dir, 'floor.sql'), floor);
    writeFileSync(
      join(dir, 'taskmaster.yml'),
      `name: benchmig\nruntime: native\nservices:\n  postgres: { port: ${port}, user: ` +
        `bench, password: bench-password, database: bench }\ndb:\n  migrations: tm\n`,
    );
    tm('up', '--no-migrate');
    // One fully migrated database for the no-op and status runs.
    tm('db', 'migrate', '--database-url', url('bench'));
  },
  teardown() {
    removeProject(tm, dir);
  },
  versions() {
    return {
      psql: /\d+\.\d+/.exec(execFileSync(PSQL, ['--version']).toString())[0],
      dbmate: execFileSync(DBMATE, ['--version']).toString().trim().split(' ').pop(),
      'node-pg-migrate': peerVersion('node-pg-migrate'),
    };
  },
  comparisons: [
    {
      label: `tm db migrate, ${N} files`,
      target: 1.3,
      runs: 5,
      warmup: 1,
      tm: timedAfter(freshDb, (db) => tm('db', 'migrate', '--database-url', url(db))),
      altName: 'floor: one psql session, BEGIN/COMMIT per file',
      alt: timedAfter(freshDb, (db) => run(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', join(dir, 'floor.sql'), url(db)])),
    },
    {
      label: `tm db migrate, ${N} files`,
      target: 1.0,
      runs: 5,
      warmup: 1,
      tm: timedAfter(freshDb, (db) => tm('db', 'migrate', '--database-url', url(db))),
      altName: 'dbmate up',
      alt: timedAfter(freshDb, (db) => run(DBMATE, ['--url', `${url(db)}?sslmode=disable`, '--migrations-dir', join(dir, 'dbmate'), '--no-dump-schema', 'up'])),
    },
    {
      label: `tm db migrate, ${N} files`,
      target: 1.0,
      runs: 3,
      warmup: 1,
      tm: timedAfter(freshDb, (db) => tm('db', 'migrate', '--database-url', url(db))),
      altName: 'node-pg-migrate up (SQL files)',
      alt: timedAfter(freshDb, (db) => run(NPM_PG_MIGRATE, ['up', '-m', join(dir, 'npm'), '-j', 'sql'], { env: { DATABASE_URL: url(db) } })),
    },
    {
      label: 'tm db migrate, nothing to do',
      target: 2.0,
      runs: 10,
      tm: () => tm('db', 'migrate', '--database-url', url('bench')),
      altName: 'tm --version',
      alt: () => run(process.execPath, [TM, '--version']),
    },
    {
      label: `tm db status, ${N} applied`,
      target: 1.0,
      runs: 10,
      tm: () => tm('db', 'status', '--database-url', url('bench')),
      altName: 'dbmate status',
      alt: () => run(DBMATE, ['--url', `${url('bench')}?sslmode=disable`, '--migrations-dir', join(dir, 'dbmate'), 'status']),
    },
  ],
};
