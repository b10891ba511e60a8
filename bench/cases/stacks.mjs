// Parallel stacks on local binaries: `tm up` in a new git worktree of a project whose main
// stack runs (ports of its own, a copy of the main stack's database) against the main stack's
// warm `tm up`, and against the script people write for a second stack by hand. Then the copy
// itself: tm gives every stack its own server and streams a dump between them; one server per
// project would copy with CREATE DATABASE ... TEMPLATE instead.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, timedAfter, scriptFolder } from '../lib.mjs';

const TM = fileURLToPath(new URL('../../bin/tm.js', import.meta.url));
const BIN = '/usr/lib/postgresql/15/bin';
const root = process.getuid?.() === 0;
const PASSWORD = 'bench-stacks-password';
// About 25 MB of table and index: a database a team develops against, not a toy.
const ROWS = 200_000;

let parent;
let main;
let scriptDir;
let n = 0;
const S = { mainPg: 0, pgPort: 0, redisPort: 0 };
// The registry of stacks is the harness's own (bench/run.mjs), never the machine's.
const env = () => ({ ...process.env, CI: '1' });

function run(file, args, opts = {}) {
  const r = spawnSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env(), ...opts });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout.toString();
}
const tm = (cwd, ...args) => run(process.execPath, [TM, ...args], { cwd });
const git = (...args) => run('git', ['-c', 'user.email=bench@example.com', '-c', 'user.name=bench', '-C', main, ...args]);
const psql = (port, db, sql) =>
  run(`${BIN}/psql`, ['-X', '-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'benchstacks', '-d', db, '-c', sql], {
    env: { ...env(), PGPASSWORD: PASSWORD },
  });
function sh(script, vars) {
  run('bash', ['-c', script], { env: { ...env(), ...vars, PGPASSWORD: PASSWORD } });
}

// A new worktree (not measured), tm up in it (measured), then it goes as a user's would:
// tm down --volumes, git worktree remove, tm prune (not measured).
const newWorktree = () => {
  const wt = join(parent, `wt${++n}`);
  git('worktree', 'add', '-q', wt);
  return wt;
};
const upInWorktree = timedAfter(newWorktree, (wt) => {
  tm(wt, 'up');
  afterWorktree.push(wt);
});
const afterWorktree = [];
function removeWorktrees() {
  for (const wt of afterWorktree.splice(0)) {
    tm(wt, 'down', '--volumes');
    git('worktree', 'remove', '--force', wt);
  }
  tm(parent, 'prune', '--yes');
}
const inWorktree = () => {
  const ms = upInWorktree();
  removeWorktrees();
  return ms;
};

// The second stack by hand, with the same binaries and settings as tm: initdb, both servers on
// ports of their own, the role's password and the database, and the main stack's data piped in.
const asPg = root ? 'runuser -u postgres --' : '';
const byHand = timedAfter(
  () => rmSync(join(scriptDir, 'pg'), { recursive: true, force: true }),
  () =>
    sh(
      `set -e -o pipefail
${asPg} ${BIN}/initdb -D "$D/pg" -U postgres --auth-local=trust --auth-host=trust -E UTF8 --locale=C --no-sync >/dev/null
${asPg} ${BIN}/pg_ctl -D "$D/pg" -l "$D/pg.log" -o "-p $PGPORT -k $D/sock -c listen_addresses=127.0.0.1" -w start >/dev/null
redis-server --port $RPORT --bind 127.0.0.1 --dir "$D/redis" --appendonly yes --save '' --daemonize yes --pidfile "$D/redis.pid" --logfile "$D/redis.log"
until [ "$(redis-cli -p $RPORT ping 2>/dev/null)" = PONG ]; do sleep 0.01; done
${BIN}/psql -X -q -h 127.0.0.1 -p $PGPORT -U postgres -d postgres -c "CREATE ROLE benchstacks LOGIN CREATEDB PASSWORD '$PGPASSWORD'" -c "CREATE DATABASE benchstacks OWNER benchstacks"
${BIN}/pg_dump -h 127.0.0.1 -p $MAINPORT -U benchstacks -d benchstacks --format=custom --compress=0 --no-owner --no-privileges \\
  | ${BIN}/pg_restore -h 127.0.0.1 -p $PGPORT -U benchstacks -d benchstacks --no-owner --no-privileges --single-transaction --exit-on-error`,
      { D: scriptDir, PGPORT: S.pgPort, RPORT: S.redisPort, MAINPORT: S.mainPg },
    ),
);
const stopByHand = () =>
  sh(
    `${asPg} ${BIN}/pg_ctl -D "$D/pg" -m fast -w stop >/dev/null; redis-cli -p $RPORT shutdown nosave >/dev/null 2>&1 || true
while [ -e "$D/redis.pid" ] && kill -0 "$(cat "$D/redis.pid")" 2>/dev/null; do sleep 0.01; done`,
    { D: scriptDir, RPORT: S.redisPort },
  );

// The copy alone, into a database nobody uses, on the main stack's server.
const dropCopy = () => psql(S.mainPg, 'postgres', 'DROP DATABASE IF EXISTS bench_copy');
const dumpCopy = timedAfter(
  () => {
    dropCopy();
    psql(S.mainPg, 'postgres', 'CREATE DATABASE bench_copy');
  },
  () =>
    sh(
      `set -e -o pipefail
${BIN}/pg_dump -h 127.0.0.1 -p $PORT -U benchstacks -d benchstacks --format=custom --compress=0 --no-owner --no-privileges \\
  | ${BIN}/pg_restore -h 127.0.0.1 -p $PORT -U benchstacks -d bench_copy --no-owner --no-privileges --single-transaction --exit-on-error`,
      { PORT: S.mainPg },
    ),
);
const templateCopy = timedAfter(dropCopy, () => psql(S.mainPg, 'postgres', 'CREATE DATABASE bench_copy TEMPLATE benchstacks'));

export default {
  name: 'parallel stacks',
  setup() {
    parent = mkdtempSync(join(tmpdir(), 'tm-bench-stacks-'));
    // Reachable by the postgres user (as root, tm runs the server as postgres): tm's data
    // directories then live in the worktrees, beside the script's, on the same disk.
    chmodSync(parent, 0o755);
    main = join(parent, 'main');
    mkdirSync(join(main, 'db', 'migrations'), { recursive: true });
    scriptDir = scriptFolder(join(parent, 'by-hand'));
    const [p1, p2, p3, p4] = [freePort(), freePort(), freePort(), freePort()];
    Object.assign(S, { mainPg: p1, pgPort: p3, redisPort: p4 });
    writeFileSync(
      join(main, 'taskmaster.yml'),
      `name: benchstacks\nruntime: native\nservices:\n  postgres: { port: ${p1}, user: benchstacks, password: ${PASSWORD} }\n  redis: { port: ${p2} }\n`,
    );
    writeFileSync(
      join(main, 'db', 'migrations', '001_items.sql'),
      '-- migrate:up\nCREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());\nCREATE INDEX items_name ON items (name);\n',
    );
    writeFileSync(join(main, '.gitignore'), '.env\n.taskmaster/\n');
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'a tm project');
    tm(main, 'up');
    psql(S.mainPg, 'benchstacks', `INSERT INTO items (id, name, body) SELECT i, 'item ' || i, repeat(md5(i::text), 2) FROM generate_series(1, ${ROWS}) i`);
    psql(S.mainPg, 'benchstacks', 'VACUUM ANALYZE items');
  },
  teardown() {
    try {
      removeWorktrees();
    } catch {}
    try {
      dropCopy();
    } catch {}
    try {
      stopByHand();
    } catch {}
    try {
      tm(main, 'down', '--volumes');
    } catch {}
    rmSync(parent, { recursive: true, force: true });
  },
  comparisons: [
    {
      label: `tm up in a new worktree (own ports, copy of ${ROWS / 1000}k rows) to ready`,
      target: 15,
      runs: 5,
      warmup: 1,
      tm: inWorktree,
      altName: "the main stack's warm tm up",
      alt: () => {
        tm(main, 'down');
        const t0 = performance.now();
        tm(main, 'up');
        return performance.now() - t0;
      },
    },
    {
      label: `tm up in a new worktree (own ports, copy of ${ROWS / 1000}k rows) to ready`,
      target: 1.3,
      runs: 5,
      warmup: 1,
      tm: inWorktree,
      altName: 'shell script: initdb, both servers on other ports, role and database, pg_dump piped into pg_restore',
      alt: () => {
        const ms = byHand();
        stopByHand();
        return ms;
      },
    },
    {
      label: `copying the database (${ROWS / 1000}k rows): pg_dump piped into pg_restore, a server per stack (tm)`,
      target: 4,
      runs: 5,
      warmup: 1,
      tm: dumpCopy,
      altName: 'CREATE DATABASE ... TEMPLATE, one server per project',
      alt: templateCopy,
    },
  ],
};
