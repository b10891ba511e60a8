import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPortFree } from '../../src/runtime/ports.js';
import { distinctPorts, healthTargets, KIND_PASSWORDS, KINDS_READY_MS, removeProject, runTm, sharedTargets } from '../helpers/kinds-project.js';
import { freePort, TM } from '../helpers/project.js';
import { execa } from 'execa';

// One project with a server of each kind that has local binaries here: PostgreSQL and Redis,
// and Debian's rabbitmq-server, mariadb-server, memcached and nats-server (.ci/run installs
// them), with npm's maildev as the mail catcher (the project depends on it, as a user's
// would: its node_modules is this repository's). The real `tm` brings them up together,
// reports each by its protocol, gives an app their URLs, and stops them all.

const PASSWORDS = KIND_PASSWORDS;
const READY = KINDS_READY_MS;

let dir: string;
let ports: Record<string, number>;
const tm = (args: string[]) => runTm(dir, args);

beforeAll(async () => {
  // Readable by the servers' own accounts (tm runs them as rabbitmq, mysql... under root).
  dir = await mkdtemp(join(tmpdir(), 'tm-kinds-'));
  await execa('chmod', ['755', dir]);
  const names = ['postgres', 'redis', 'amqp', 'management', 'mysql', 'memcached', 'nats', 'monitor', 'smtp', 'web'];
  ports = await distinctPorts(names);
  await symlink(resolve(import.meta.dirname, '../../node_modules'), join(dir, 'node_modules'));
  await writeFile(
    join(dir, 'taskmaster.yml'),
    `name: kinds
runtime: native
services:
  postgres: { port: ${ports.postgres}, password: ${PASSWORDS.postgres} }
  redis: { port: ${ports.redis} }
  rabbitmq: { port: ${ports.amqp}, management_port: ${ports.management}, user: app, password: ${PASSWORDS.rabbitmq}, vhost: app_vh }
  mariadb: { port: ${ports.mysql}, user: app, password: ${PASSWORDS.mariadb} }
  memcached: { port: ${ports.memcached} }
  nats: { port: ${ports.nats}, monitor_port: ${ports.monitor} }
  mail: { kind: mailpit, port: ${ports.smtp}, web_port: ${ports.web} }
  worker:
    command: [node, -e, "require('fs').writeFileSync('worker-env.json', JSON.stringify(process.env)); setInterval(() => {}, 60000)"]
    depends_on: [postgres, redis, rabbitmq, mariadb, memcached, nats, mail]
`,
  );
}, 30_000);

afterAll(() => removeProject(dir), READY);

describe('a project of several kinds on local binaries', () => {
  it(
    'tm up starts them all, tm health --json names each target by its protocol, the app gets their URLs, tm down stops them',
    async () => {
      // Seven servers boot at once (first starts: initdb, MariaDB's system tables, an
      // Erlang VM) on a machine that may be running other suites: more than the 60 s default.
      const up = await tm(['up', '--timeout', '240s']);
      expect(up.exitCode, up.stderr + up.stdout).toBe(0);

      const health = await healthTargets(dir);
      expect(health.targets).toEqual({
        ...sharedTargets(ports, 'kinds'),
        mail: `smtp://127.0.0.1:${ports.smtp}`,
        // An app with neither port nor health is up once it runs: nothing to probe.
      });
      // No password reaches output.
      for (const pw of Object.values(PASSWORDS)) expect(up.stdout + up.stderr + health.output).not.toContain(pw);

      // The app gets every service's URL, with the real credentials, as it gets DATABASE_URL.
      const env = JSON.parse(await readFile(join(dir, 'worker-env.json'), 'utf8')) as Record<string, string>;
      expect(env).toMatchObject({
        DATABASE_URL: `postgres://postgres:${PASSWORDS.postgres}@127.0.0.1:${ports.postgres}/kinds`,
        REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
        AMQP_URL: `amqp://app:${PASSWORDS.rabbitmq}@127.0.0.1:${ports.amqp}/app_vh`,
        MYSQL_URL: `mysql://app:${PASSWORDS.mariadb}@127.0.0.1:${ports.mysql}/kinds`,
        MEMCACHED_URL: `memcached://127.0.0.1:${ports.memcached}`,
        NATS_URL: `nats://127.0.0.1:${ports.nats}`,
        SMTP_URL: `smtp://127.0.0.1:${ports.smtp}`,
      });

      const status = await tm(['status', '--json']);
      expect(status.exitCode, status.stderr).toBe(0);
      const rows = JSON.parse(status.stdout) as { services: { name: string; state: string }[] };
      expect(rows.services.map((s) => [s.name, s.state])).toEqual(
        ['postgres', 'redis', 'rabbitmq', 'mariadb', 'memcached', 'nats', 'mail', 'worker'].map((n) => [n, 'running']),
      );

      const down = await tm(['down']);
      expect(down.exitCode, down.stderr).toBe(0);
      // Every port is free again: the servers and what they started (RabbitMQ's epmd) are gone.
      const busy: string[] = [];
      for (const [name, port] of Object.entries(ports)) if (!(await isPortFree(port, '127.0.0.1'))) busy.push(`${name} ${port}`);
      expect(busy).toEqual([]);
    },
    READY * 2,
  );

  it('a kind without local binaries is refused before anything starts, saying to use Docker', async () => {
    const other = await mkdtemp(join(tmpdir(), 'tm-kinds-minio-'));
    try {
      const port = await freePort();
      await writeFile(
        join(other, 'taskmaster.yml'),
        `name: s3only\nruntime: native\nservices:\n  s3: { kind: minio, port: ${port}, console_port: ${await freePort()} }\n`,
      );
      const r = await execa(process.execPath, [TM, 'up'], { cwd: other, reject: false, env: { NO_COLOR: '1' } });
      expect(r.exitCode).toBe(4);
      expect(r.stderr).toContain('s3 (MinIO) cannot run on the native runtime');
      expect(r.stderr).toMatch(/runtime: docker/);
      expect(await isPortFree(port, '127.0.0.1')).toBe(true);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
