// `tm up` on local binaries against the shell script people write for the same job:
// pg_ctl start -w, redis-server --daemonize, a pg_isready / redis-cli ping loop.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, timedUntil, scriptFolder } from '../lib.mjs';

const TM = fileURLToPath(new URL('../../bin/tm.js', import.meta.url));
const BIN = '/usr/lib/postgresql/15/bin';
const root = process.getuid?.() === 0;
let dir;
let scriptDir;

function sh(script, env) {
  const r = spawnSync('bash', ['-c', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`script failed: ${r.stderr}`);
}
function tm(...args) {
  const r = spawnSync(process.execPath, [TM, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1' } });
  if (r.status !== 0) throw new Error(`tm ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
}

// The script's own data, ports and sockets: the same binaries and settings as tm uses.
const S = { pgPort: 0, redisPort: 0 };
const asPg = root ? 'runuser -u postgres --' : '';
const scriptStart = () =>
  sh(
    `set -e
${asPg} ${BIN}/pg_ctl -D "$D/pg" -l "$D/pg.log" -o "-p $PGPORT -k $D/sock -c listen_addresses=127.0.0.1" -w start >/dev/null
redis-server --port $RPORT --bind 127.0.0.1 --dir "$D/redis" --appendonly yes --save '' --daemonize yes --pidfile "$D/redis.pid" --logfile "$D/redis.log"
until ${BIN}/pg_isready -q -h 127.0.0.1 -p $PGPORT; do sleep 0.01; done
until [ "$(redis-cli -p $RPORT ping 2>/dev/null)" = PONG ]; do sleep 0.01; done`,
    { D: scriptDir, PGPORT: S.pgPort, RPORT: S.redisPort },
  );
const scriptStop = () =>
  sh(
    `${asPg} ${BIN}/pg_ctl -D "$D/pg" -m fast -w stop >/dev/null; redis-cli -p $RPORT shutdown nosave >/dev/null 2>&1 || true
while [ -e "$D/redis.pid" ] && kill -0 "$(cat "$D/redis.pid")" 2>/dev/null; do sleep 0.01; done`,
    { D: scriptDir, RPORT: S.redisPort },
  );
// What tm up does on a new data directory besides starting the server: the configured
// user's password and the project database (tm's config here: user postgres, database benchup).
const scriptCreate = () =>
  sh(`${BIN}/psql -X -q -h 127.0.0.1 -p $PGPORT -U postgres -d postgres -c "ALTER ROLE postgres PASSWORD 'bench-password'" -c "CREATE DATABASE benchup"`, {
    PGPORT: S.pgPort,
  });
const scriptInit = () => {
  rmSync(join(scriptDir, 'pg'), { recursive: true, force: true });
  sh(`${asPg} ${BIN}/initdb -D "$D/pg" -U postgres --auth-local=trust --auth-host=trust -E UTF8 --locale=C --no-sync >/dev/null`, { D: scriptDir });
};

export default {
  name: 'native up',
  setup() {
    dir = mkdtempSync(join(tmpdir(), 'tm-bench-up-'));
    // A directory the postgres user can reach, for the script's data.
    scriptDir = scriptFolder(join('/var/tmp', `tm-bench-script-${process.pid}`));
    const [p1, p2, p3, p4] = [freePort(), freePort(), freePort(), freePort()];
    S.pgPort = p3;
    S.redisPort = p4;
    writeFileSync(
      join(dir, 'taskmaster.yml'),
      `name: benchup\nruntime: native\nservices:\n  postgres: { port: ${p1}, password: bench-password }\n  redis: { port: ${p2} }\n`,
    );
    scriptInit();
  },
  teardown() {
    try {
      tm('down', '--volumes');
    } catch {}
    try {
      scriptStop();
    } catch {}
    rmSync(dir, { recursive: true, force: true });
    rmSync(scriptDir, { recursive: true, force: true });
  },
  versions() {
    return {
      postgres: /\d+\.\d+/.exec(execFileSync(`${BIN}/postgres`, ['--version']).toString())[0],
      'redis-server': execFileSync('redis-server', ['--version'])
        .toString()
        .match(/v=(\S+)/)?.[1],
    };
  },
  comparisons: [
    {
      label: 'warm tm up (data exists) to ready',
      target: 1.3,
      runs: 10,
      tm: timedUntil(
        () => tm('up', '--no-migrate'),
        () => tm('down'),
      ),
      altName: 'shell script (pg_ctl start -w, redis-server, ready loop)',
      alt: timedUntil(scriptStart, scriptStop),
    },
    {
      label: 'cold tm up (initdb) to ready',
      target: 1.3,
      runs: 5,
      warmup: 1,
      tm: timedUntil(
        () => tm('up', '--no-migrate'),
        () => tm('down', '--volumes'),
      ),
      altName: 'shell script with initdb, then the password and database (psql)',
      alt: timedUntil(() => {
        scriptInit();
        scriptStart();
        scriptCreate();
      }, scriptStop),
    },
  ],
};
