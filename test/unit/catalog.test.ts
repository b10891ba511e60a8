import { describe, expect, it } from 'vitest';
import { hostPorts, KIND_NAMES, KINDS, secretsOf } from '../../src/catalog/index.js';
import { exportedVariables } from '../../src/config/services.js';
import { parseIn, refusalOf } from '../helpers/parse-config.js';

// The catalog as taskmaster.yml meets it: which kind a service is, its defaults, the problems
// a kind finds, and the variables the kinds give the apps.

const parse = parseIn('shop');
const refusal = (source: string) => refusalOf(parse, source);

describe('service kinds in taskmaster.yml', () => {
  it("a service named after a kind is of that kind, with the kind's defaults", () => {
    const c = parse('services:\n  rabbitmq: {}\n  memcached: { port: 11311 }\n  queue: { kind: nats }\n');
    expect(c.services.map((s) => [s.name, s.kind])).toEqual([
      ['rabbitmq', 'rabbitmq'],
      ['memcached', 'memcached'],
      ['queue', 'nats'],
    ]);
    // RabbitMQ's node ports follow its AMQP port as RabbitMQ's own rule has it.
    expect(c.services[0]).toMatchObject({ image: 'rabbitmq:3-management', port: 5672, management_port: 15672, dist_port: 25672, epmd_port: 25673 });
    expect(c.services[1]).toMatchObject({ image: 'memcached:1-alpine', port: 11311, memory: 64 });
  });

  it('an unknown kind is refused at its line, with the kinds and a "did you mean"', () => {
    const err = refusal('services:\n  mq:\n    kind: rabbit\n');
    expect(err.exit).toBe(3);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ line: 3, path: 'services.mq.kind' });
    expect(err.problems[0]!.message).toMatch(/^unknown kind "rabbit" \(did you mean "rabbitmq"\?\): expected one of postgres, redis, rabbitmq, /);
  });

  it("a kind's problems are reported at their key: root as the app's user, a short MinIO secret", () => {
    const err = refusal('services:\n  mariadb: { user: root }\n  minio: { password: short }\n');
    expect(err.problems.map((p) => [p.path, p.message])).toEqual([
      ['services.mariadb.user', "expected the app's own user, not root (root_password sets root's)"],
      ['services.minio.password', 'expected at least 8 characters (MinIO refuses a shorter secret key)'],
    ]);
  });

  it("every port of every service is checked against the others', not only the main one", () => {
    const err = refusal('services:\n  rabbitmq: { port: 5672, management_port: 8080 }\n  web: { command: node s.js, port: 8080 }\n');
    expect(err.problems[0]).toMatchObject({ line: 3, path: 'services.web.port', message: 'port 8080 is already used by service "rabbitmq" (management_port)' });
  });

  it('a local-binaries-only port is not published on Docker', () => {
    const [rabbit] = parse('services:\n  rabbitmq: {}\n').services;
    expect(hostPorts(rabbit!, 'docker').map((b) => b.name)).toEqual(['amqp', 'management']);
    expect(hostPorts(rabbit!).map((b) => b.name)).toEqual(['amqp', 'management', 'dist', 'epmd']);
  });

  it("the kinds' secrets are the values to mask", () => {
    const c = parse('services:\n  mariadb: { password: db-pw-1, root_password: root-pw-2 }\n  nats: { token: tok-3 }\n  memcached: {}\n');
    expect(c.services.flatMap(secretsOf)).toEqual(['db-pw-1', 'root-pw-2', 'tok-3']);
  });

  it("the apps' variables: each kind's URL; a MySQL-protocol server gives DATABASE_URL too when it is the only database", () => {
    const only = parse('services:\n  mariadb: { password: pw }\n  rabbitmq: { password: mq }\n');
    expect(Object.fromEntries([...exportedVariables(only.services, true)].map(([k, v]) => [k, v.value]))).toEqual({
      MYSQL_URL: 'mysql://mariadb:pw@127.0.0.1:3306/shop',
      DATABASE_URL: 'mysql://mariadb:pw@127.0.0.1:3306/shop',
      AMQP_URL: 'amqp://guest:mq@127.0.0.1:5672/%2F',
    });
    const both = parse('services:\n  postgres: {}\n  mariadb: {}\n');
    expect(exportedVariables(both.services, false).get('DATABASE_URL')?.service.kind).toBe('postgres');
    expect(exportedVariables(both.services, false).get('MYSQL_URL')?.value).toBe('mysql://mariadb:****@127.0.0.1:3306/shop');
  });

  it('every kind names its ports as Kubernetes allows, and every kind with a container has an image by default', () => {
    for (const name of KIND_NAMES) {
      if (name === 'generic' || name === 'app') continue;
      const svc = parse(`services:\n  ${name}: {}\n`).services[0]!;
      for (const b of hostPorts(svc)) expect(b.name, name).toMatch(/^[a-z][a-z0-9-]{0,14}$/);
      const kind = KINDS[name] as { container?: (s: unknown, p: unknown) => { image: string } };
      expect(kind.container?.(svc, { services: [svc] }).image, name).toMatch(/^[a-z0-9./-]+:[\w.-]+$/);
    }
  });
});
