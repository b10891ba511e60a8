import { execa } from 'execa';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerUnavailable } from '../helpers/container.js';
import { distinctPorts, healthTargets, KIND_PASSWORDS, KINDS_READY_MS, removeProject, runTm, sharedTargets } from '../helpers/kinds-project.js';

// One project with a service of each kind that has a stand-in image here (../shared/tools/
// docker-engine.sh builds them; each imitates its official image's variables and ports), on
// the Docker runtime. Only the test names the stand-ins: a user's default images stay the
// official ones. The mail catcher has no stand-in: its native test covers it.

const IMAGES = {
  postgres: 'standin/postgres:15',
  redis: 'standin/redis:7',
  rabbitmq: 'standin/rabbitmq:3',
  mariadb: 'standin/mariadb:10',
  memcached: 'standin/memcached:1',
  nats: 'standin/nats:2',
  prometheus: 'standin/prometheus:2',
  nginx: 'standin/nginx:1',
};
const unavailable = await dockerUnavailable(Object.values(IMAGES));
const PASSWORDS = KIND_PASSWORDS;
const READY = KINDS_READY_MS;

let dir: string;
let ports: Record<string, number>;
const tm = (args: string[]) => runTm(dir, args);
const docker = (...args: string[]) => execa('docker', args, { reject: false }).then((r) => String(r.stdout).trim());

/** Containers and volumes labelled with the project's compose name. */
async function leftovers(project: string): Promise<string[]> {
  const filter = `label=com.docker.compose.project=${project}`;
  const out = [
    await docker('ps', '-a', '--filter', filter, '--format', '{{.Names}}'),
    await docker('volume', 'ls', '--filter', filter, '--format', '{{.Name}}'),
  ];
  return out.join('\n').split('\n').filter(Boolean);
}

beforeAll(async () => {
  if (unavailable) return;
  dir = await mkdtemp(join(tmpdir(), 'tm-kinds-docker-'));
  ports = await distinctPorts(['postgres', 'redis', 'amqp', 'management', 'mysql', 'memcached', 'nats', 'monitor', 'prometheus', 'web']);
  await writeFile(
    join(dir, 'taskmaster.yml'),
    `name: kinds-docker
runtime: docker
services:
  postgres: { port: ${ports.postgres}, password: ${PASSWORDS.postgres}, image: ${IMAGES.postgres} }
  redis: { port: ${ports.redis}, image: ${IMAGES.redis} }
  rabbitmq: { port: ${ports.amqp}, management_port: ${ports.management}, user: app, password: ${PASSWORDS.rabbitmq}, vhost: app_vh, image: ${IMAGES.rabbitmq} }
  mariadb: { port: ${ports.mysql}, user: app, password: ${PASSWORDS.mariadb}, image: ${IMAGES.mariadb} }
  memcached: { port: ${ports.memcached}, image: ${IMAGES.memcached} }
  nats: { port: ${ports.nats}, monitor_port: ${ports.monitor}, image: ${IMAGES.nats} }
  prometheus: { port: ${ports.prometheus}, image: ${IMAGES.prometheus} }
  web: { kind: generic, image: ${IMAGES.nginx}, port: ${ports.web}, container_port: 80, health: "http://127.0.0.1:${ports.web}/" }
`,
  );
}, 30_000);

afterAll(() => removeProject(dir), READY);

describe.skipIf(unavailable)('a project of several kinds on Docker (stand-in images)', () => {
  it(
    'tm up starts them all, tm health --json names each target by its protocol, tm down --volumes removes them',
    async () => {
      // Eight servers boot at once (first starts: initdb, MariaDB's system tables, an
      // Erlang VM) on a machine that may be running other suites: more than the 60 s default.
      const up = await tm(['up', '--timeout', '240s']);
      expect(up.exitCode, up.stderr + up.stdout).toBe(0);
      const project = /^name: (.+)$/m.exec(await readFile(join(dir, '.taskmaster/compose.yml'), 'utf8'))![1]!;

      const health = await healthTargets(dir);
      expect(health.targets).toEqual({
        ...sharedTargets(ports, 'kinds_docker'),
        prometheus: `http://127.0.0.1:${ports.prometheus}/-/ready`,
        web: `http://127.0.0.1:${ports.web}/`,
      });
      // Passwords reach the containers by variable, never in output or the compose file.
      const compose = await readFile(join(dir, '.taskmaster/compose.yml'), 'utf8');
      for (const pw of Object.values(PASSWORDS)) expect(up.stdout + up.stderr + health.output + compose).not.toContain(pw);

      // Each server got its image's variables: the configured user logs in with its password.
      const rows = await docker(
        'exec',
        `${project}-mariadb-1`,
        'sh',
        '-c',
        `MYSQL_PWD='${PASSWORDS.mariadb}' mariadb -h 127.0.0.1 -u app -N -e 'SELECT DATABASE()' kinds_docker`,
      );
      expect(rows).toBe('kinds_docker');

      const down = await tm(['down', '--volumes', '--yes']);
      expect(down.exitCode, down.stderr).toBe(0);
      expect(await leftovers(project)).toEqual([]);
    },
    READY * 2,
  );
});
