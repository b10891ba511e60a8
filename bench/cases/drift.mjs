// tm db drift on a database of 500 migrations, beyond the template build (the cached template
// `tm db reset` leaves is made untimed in setup): against what a user would otherwise run,
// `pg_dump --schema-only` of the live database and of a database holding the migrations'
// schema (given the template for free, so the alternative builds nothing), then `diff`.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, removeProject } from '../lib.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TM = join(ROOT, 'bin/tm.js');
const BIN = '/usr/lib/postgresql/15/bin';
const N = 500;
let dir;
let port;
let template;
const url = (db) => `postgres://bench:bench-password@127.0.0.1:${port}/${db}`;

function run(file, args, opts = {}) {
  const r = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts, env: { ...process.env, CI: '1', ...opts.env } });
  if (!(opts.ok ?? [0]).includes(r.status)) throw new Error(`${file} ${args.slice(0, 3).join(' ')} exited ${r.status}: ${r.stderr}`);
}
const tm = (...args) => run(process.execPath, [TM, ...args], { cwd: dir });
const psql = (q) =>
  execFileSync(join(BIN, 'psql'), ['-X', '-At', url('postgres'), '-c', q])
    .toString()
    .trim();

/** Migration i: a table with a check, an index and a foreign key; now and then an enum, a view, a function and its trigger. */
function migration(i) {
  const parts = [
    `CREATE TABLE t_${i} (id bigserial PRIMARY KEY, name text NOT NULL, amount numeric(12,2) NOT NULL DEFAULT 0 CHECK (amount >= 0), ` +
      `created_at timestamptz NOT NULL DEFAULT now()${i > 1 ? `, parent_id bigint REFERENCES t_${i - 1} (id)` : ''});`,
    `CREATE INDEX t_${i}_name_idx ON t_${i} (name);`,
  ];
  if (i % 25 === 0) parts.push(`CREATE TYPE e_${i} AS ENUM ('a', 'b', 'c');`, `ALTER TABLE t_${i} ADD COLUMN kind e_${i} NOT NULL DEFAULT 'a';`);
  if (i % 10 === 0) {
    parts.push(
      `CREATE VIEW v_${i} AS SELECT id, name, amount FROM t_${i} WHERE amount > 100;`,
      `CREATE FUNCTION f_${i}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.created_at = now(); RETURN NEW; END $$;`,
      `CREATE TRIGGER t_${i}_touch BEFORE UPDATE ON t_${i} FOR EACH ROW EXECUTE FUNCTION f_${i}();`,
    );
  }
  return `-- migrate:up\n${parts.join('\n')}\n-- migrate:down\nDROP TABLE t_${i} CASCADE;\n`;
}

export default {
  name: `drift check, ${N} migrations`,
  setup() {
    dir = mkdtempSync(join(tmpdir(), 'tm-bench-drift-'));
    port = freePort();
    mkdirSync(join(dir, 'db', 'migrations'), { recursive: true });
    for (let i = 1; i <= N; i++) writeFileSync(join(dir, 'db', 'migrations', `${20260101000000 + i}_m${i}.sql`), migration(i));
    writeFileSync(
      join(dir, 'taskmaster.yml'),
      `name: benchdrift\nruntime: native\nservices:\n  postgres: { port: ${port}, user: bench, password: bench-password, database: bench }\n`,
    );
    tm('up');
    // The template build, untimed: what the drift check starts from.
    tm('db', 'reset', '--yes');
    template = psql("SELECT datname FROM pg_database WHERE datname LIKE 'tm\\_tpl\\_%'");
    // Drift to find: a column added by hand and a dropped index.
    execFileSync(join(BIN, 'psql'), ['-X', '-q', url('bench'), '-c', 'ALTER TABLE t_250 ADD COLUMN note text; DROP INDEX t_499_name_idx']);
  },
  teardown() {
    removeProject(tm, dir);
  },
  versions() {
    return { pg_dump: /\d+\.\d+/.exec(execFileSync(join(BIN, 'pg_dump'), ['--version']).toString())[0] };
  },
  comparisons: [
    {
      label: `tm db drift, ${N} migrations (from the cached template)`,
      target: 1.0,
      runs: 5,
      warmup: 1,
      // Exit 1: the drift is found.
      tm: () => run(process.execPath, [TM, 'db', 'drift'], { cwd: dir, ok: [1] }),
      altName: 'pg_dump --schema-only of both databases, then diff',
      alt: () => {
        const a = join(dir, 'live.sql');
        const b = join(dir, 'expected.sql');
        run(join(BIN, 'pg_dump'), ['--schema-only', '-f', a, url('bench')]);
        run(join(BIN, 'pg_dump'), ['--schema-only', '-f', b, url(template)]);
        run('diff', [a, b], { ok: [1] });
      },
    },
    {
      label: `tm db drift, ${N} migrations (from the cached template)`,
      target: 1.0,
      runs: 5,
      tm: () => run(process.execPath, [TM, 'db', 'drift'], { cwd: dir, ok: [1] }),
      altName: 'budget 1 s',
      alt: () => 1000,
    },
  ],
};
