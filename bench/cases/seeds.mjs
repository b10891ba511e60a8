// Seeding 100,000 CSV rows against psql's \copy; restoring a snapshot and a cached reset of a
// database with 200 migrations against drop + replay with psql.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, timedAfter } from '../lib.mjs';

const TM = fileURLToPath(new URL('../../bin/tm.js', import.meta.url));
const PSQL = '/usr/lib/postgresql/15/bin/psql';
let dir;
let port;
let n = 0;
const url = (db) => `postgres://bench:bench-password@127.0.0.1:${port}/${db}`;

function run(file, args, opts = {}) {
  const r = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir, ...opts, env: { ...process.env, CI: '1', ...opts.env } });
  if (r.status !== 0) throw new Error(`${file} ${args.slice(0, 4).join(' ')} exited ${r.status}: ${r.stderr}`);
}
const tm = (...args) => run(process.execPath, [TM, ...args]);
const psql = (db, ...args) => run(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', url(db), ...args]);
const users = 'CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, name text NOT NULL);';
/** A fresh database with the users table, for one CSV run. */
function freshUsersDb() {
  const db = `c${process.pid}_${n++}`;
  psql('postgres', '-c', `CREATE DATABASE ${db}`);
  psql(db, '-c', users);
  return db;
}

export default {
  name: 'seeds, reset, snapshots',
  setup() {
    dir = mkdtempSync(join(tmpdir(), 'tm-bench-seed-'));
    port = freePort();
    mkdirSync(join(dir, 'csv', 'seeds'), { recursive: true });
    mkdirSync(join(dir, 'db', 'migrations'), { recursive: true });
    mkdirSync(join(dir, 'db', 'seeds'), { recursive: true });
    const rows = ['email,name'];
    for (let i = 0; i < 100_000; i++) rows.push(`user${i}@example.com,User number ${i}`);
    writeFileSync(join(dir, 'csv', 'seeds', 'users.csv'), `${rows.join('\n')}\n`);
    let replay = '';
    for (let i = 1; i <= 200; i++) {
      const body =
        `CREATE TABLE t_${i} (id bigserial PRIMARY KEY, name text NOT NULL);\nCREATE INDEX ` +
        `t_${i}_name ON t_${i} (name);\nINSERT INTO t_${i} (name) SELECT 'row ' || g FROM generate_series(1, 50) g;`;
      writeFileSync(join(dir, 'db', 'migrations', `${20260101000000 + i}_m${i}.sql`), `-- migrate:up\n${body}\n`);
      replay += `BEGIN;\n${body}\nCOMMIT;\n`;
    }
    writeFileSync(join(dir, 'replay.sql'), replay);
    writeFileSync(
      join(dir, 'taskmaster.yml'),
      `name: benchseed\nruntime: native\nservices:\n  postgres: { port: ${port}, user: bench, password: bench-password, database: bench }\n`,
    );
    tm('up');
    // The csv project: seeds from csv/seeds.
    writeFileSync(
      join(dir, 'csv.yml'),
      `name: benchseed\nruntime: native\nservices:\n  postgres: { port: ${port}, user: bench, ` +
        `password: bench-password, database: bench }\ndb:\n  seeds: csv/seeds\n  migrations: csv/none\n`,
    );
    // The reset database, its template cache and a snapshot.
    psql('postgres', '-c', 'CREATE DATABASE app');
    tm('db', 'reset', '--yes', '--database-url', url('app'));
    tm('db', 'reset', '--yes', '--database-url', url('app'));
    tm('db', 'snapshot', 'bench', '--database-url', url('app'));
  },
  teardown() {
    try {
      tm('down', '--volumes');
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  },
  comparisons: [
    {
      label: 'seed 100,000 CSV rows',
      target: 1.2,
      runs: 5,
      warmup: 1,
      tm: timedAfter(freshUsersDb, (db) => tm('--config', 'csv.yml', 'db', 'seed', '--database-url', url(db))),
      altName: 'psql \\copy',
      alt: timedAfter(freshUsersDb, (db) =>
        psql(db, '-c', `\\copy users (email, name) FROM '${join(dir, 'csv', 'seeds', 'users.csv')}' WITH (FORMAT csv, HEADER true)`),
      ),
    },
    {
      label: 'tm db restore (200 migrations applied)',
      target: 0.2,
      runs: 5,
      tm: () => tm('db', 'restore', 'bench', '--database-url', url('app')),
      altName: 'drop + replay with psql',
      alt: () => {
        psql('postgres', '-c', 'DROP DATABASE IF EXISTS replay', '-c', 'CREATE DATABASE replay');
        psql('replay', '-f', join(dir, 'replay.sql'));
      },
    },
    {
      label: 'tm db reset, cached (200 migrations)',
      target: 0.2,
      runs: 5,
      tm: () => tm('db', 'reset', '--yes', '--database-url', url('app')),
      altName: 'drop + replay with psql',
      alt: () => {
        psql('postgres', '-c', 'DROP DATABASE IF EXISTS replay', '-c', 'CREATE DATABASE replay');
        psql('replay', '-f', join(dir, 'replay.sql'));
      },
    },
  ],
};
