// `tm up` on Docker against `docker compose up -d --wait` on the same compose file, warm
// (containers exist, stopped) and cold (no containers, no volumes). Skipped without an engine.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstAnswer, freePort, timedUntil } from '../lib.mjs';

const TM = fileURLToPath(new URL('../../bin/tm.js', import.meta.url));
let dir;
let project;
let ports;
const secrets = { TM_POSTGRES_PASSWORD: 'bench-password' };

function run(file, args, env = {}) {
  const r = spawnSync(file, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1', ...env } });
  if (r.status !== 0) throw new Error(`${file} ${args.slice(0, 4).join(' ')} exited ${r.status}: ${r.stderr}`);
}
const tm = (...args) => run(process.execPath, [TM, ...args]);
// The same file tm renders, under another project name so the two never share containers.
const compose = (...args) => run('docker', ['compose', '-p', `${project}-alt`, '-f', join(dir, 'alt-compose.yml'), ...args], secrets);
const engineUp = () => spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 }).status === 0;

/** How long after Postgres first answered the tool returned (cold start, new volumes). */
const lag = (port, start, stop) => async () => {
  const answer = firstAnswer(port, { password: 'bench-password', database: 'benchdock' });
  start();
  const returned = Date.now();
  const answered = await answer;
  stop();
  return returned - answered;
};

const enabled = engineUp() && existsSync('/usr/libexec/docker/cli-plugins/docker-compose');
export default {
  name: 'docker up',
  setup() {
    if (!enabled) return;
    dir = mkdtempSync(join(tmpdir(), 'tm-bench-docker-'));
    const [a, b, c, d] = [freePort(), freePort(), freePort(), freePort()];
    ports = { tm: a, alt: c };
    const yml = (pg, redis) =>
      `name: benchdock\nruntime: docker\nservices:\n  postgres: { image: standin/postgres:15, port: ` +
      `${pg}, password: bench-password }\n  redis: { image: standin/redis:7, port: ${redis} }\n`;
    // Render the alternative's file from a config on other ports, then keep tm's own config.
    writeFileSync(join(dir, 'taskmaster.yml'), yml(c, d));
    tm('up', '--no-migrate');
    const rendered = readFileSync(join(dir, '.taskmaster/compose.yml'), 'utf8');
    tm('down', '--volumes');
    writeFileSync(join(dir, 'alt-compose.yml'), rendered.replace(/^name: .*$/m, ''));
    project = /^name: (.*)$/m.exec(rendered)[1];
    writeFileSync(join(dir, 'taskmaster.yml'), yml(a, b));
  },
  teardown() {
    if (!enabled) return;
    try {
      tm('down', '--volumes');
    } catch {}
    try {
      compose('down', '--volumes');
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  },
  versions() {
    if (!enabled) return {};
    return {
      docker: execFileSync('docker', ['version', '-f', '{{.Server.Version}}']).toString().trim(),
      compose: execFileSync('docker', ['compose', 'version', '--short']).toString().trim(),
    };
  },
  get comparisons() {
    if (!enabled) {
      process.stderr.write('[bench]   skipped: no Docker engine (../shared/tools/docker-engine.sh up)\n');
      return [];
    }
    return [
      {
        label: 'docker: warm tm up to ready',
        target: 1.0,
        runs: 5,
        warmup: 1,
        tm: timedUntil(
          () => tm('up', '--no-migrate'),
          () => run('docker', ['compose', '-p', project, '-f', join(dir, '.taskmaster/compose.yml'), 'stop'], secrets),
        ),
        altName: 'docker compose up -d --wait',
        alt: timedUntil(
          () => compose('up', '-d', '--wait'),
          () => compose('stop'),
        ),
      },
      {
        label: 'docker: cold tm up (new volumes) to ready',
        target: 1.0,
        runs: 3,
        warmup: 1,
        tm: timedUntil(
          () => tm('up', '--no-migrate'),
          () => tm('down', '--volumes'),
        ),
        altName: 'docker compose up -d --wait',
        alt: timedUntil(
          () => compose('up', '-d', '--wait'),
          () => compose('down', '--volumes'),
        ),
      },
      {
        label: 'docker: readiness lag (returned after Postgres first answered SELECT 1)',
        target: 1.0,
        runs: 3,
        warmup: 0,
        tm: lag(
          ports.tm,
          () => tm('up', '--no-migrate'),
          () => tm('down', '--volumes'),
        ),
        altName: 'docker compose up -d --wait',
        alt: lag(
          ports.alt,
          () => compose('up', '-d', '--wait'),
          () => compose('down', '--volumes'),
        ),
      },
    ];
  },
};
