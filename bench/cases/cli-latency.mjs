// Absolute budgets from the performance issue: `tm status` under 300 ms, `tm doctor` on a
// healthy project under 1 s, and readiness noticed within 50 ms of Postgres first answering
// SELECT 1 (measured by an independent poller). The "alternative" column is the budget.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstAnswer, freePort } from '../lib.mjs';

const TM = fileURLToPath(new URL('../../bin/tm.js', import.meta.url));
let dir;
let pgPort;

function tm(...args) {
  const r = spawnSync(process.execPath, [TM, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1' } });
  if (r.status !== 0) throw new Error(`tm ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
}
const budget = (ms) => () => ms;

export default {
  name: 'cli latency budgets',
  setup() {
    dir = mkdtempSync(join(tmpdir(), 'tm-bench-lat-'));
    pgPort = freePort();
    writeFileSync(
      join(dir, 'taskmaster.yml'),
      `name: benchlat\nruntime: native\nservices:\n  postgres: { port: ${pgPort}, password: bench-password }\n  redis: { port: ${freePort()} }\n`,
    );
    tm('up');
  },
  teardown() {
    try {
      tm('down', '--volumes');
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  },
  comparisons: [
    {
      label: 'tm status (2 services running)',
      target: 1.0,
      runs: 10,
      tm: () => tm('status'),
      altName: 'budget 300 ms',
      alt: budget(300),
    },
    {
      label: 'tm doctor (healthy project)',
      target: 1.0,
      runs: 5,
      tm: () => tm('doctor'),
      altName: 'budget 1 s',
      alt: budget(1000),
    },
    {
      label: 'native: readiness noticed after Postgres first answers',
      target: 1.0,
      runs: 5,
      warmup: 1,
      tm: async () => {
        tm('down');
        const answered = firstAnswer(pgPort, { password: 'bench-password', database: 'benchlat' });
        tm('up', '--no-migrate');
        const returned = Date.now();
        return returned - (await answered);
      },
      altName: 'budget 50 ms',
      alt: budget(50),
    },
  ],
};
