import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/load.js';
import { readK8sInputs, renderK8s } from '../../src/render/k8s.js';
import { render } from '../../src/render/targets.js';
import { validateManifests } from '../helpers/k8s-models.js';

// Every kind of the catalog in one taskmaster.yml, rendered for compose and for Kubernetes:
// the official images, the image's own variables with secrets by reference, a volume per
// kind that keeps data, the apps' URLs inside the network, and files each tool accepts
// (`docker compose config`, the Kubernetes schemas, `kubectl kustomize`).

const hasCompose = (await execa('docker', ['compose', 'version'], { reject: false })).exitCode === 0;
if (!hasCompose && process.env.TM_REQUIRE_DOCKER) throw new Error('TM_REQUIRE_DOCKER is set but Docker Compose v2 is missing');
if (!hasCompose) console.warn('render kinds: skipping `docker compose config` (no Docker Compose v2)');
const hasKubectl = (await execa('kubectl', ['version', '--client'], { reject: false })).exitCode === 0;
if (!hasKubectl) console.warn('render kinds: kubectl is not installed; skipping the kustomize build');

const SECRETS = {
  postgres: 'pg-render-secret',
  rabbitmq: 'mq-render-secret',
  mariadb: 'db-render-secret',
  mariadbRoot: 'root-render-secret',
  mysql: 'my-render-secret',
  nats: 'nats-render-secret',
  minio: 's3-render-secret',
  elasticsearch: 'es-render-secret',
};

let dir: string;
let config: Config;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tm-render-kinds-'));
  await writeFile(
    join(dir, 'taskmaster.yml'),
    `name: allkinds
runtime: docker
services:
  postgres: { password: ${SECRETS.postgres} }
  redis: {}
  rabbitmq: { password: ${SECRETS.rabbitmq} }
  mariadb: { password: ${SECRETS.mariadb}, root_password: ${SECRETS.mariadbRoot} }
  mysql: { port: 3307, password: ${SECRETS.mysql} }
  memcached: {}
  nats: { token: ${SECRETS.nats} }
  mailpit: {}
  minio: { password: ${SECRETS.minio} }
  elasticsearch: { password: ${SECRETS.elasticsearch} }
  opensearch: { port: 9201 }
  prometheus: {}
  proxy: { kind: generic, image: "nginx:1", port: 8080, container_port: 80, volume: /usr/share/nginx/html, env: { GREETING: hi }, health: "http://127.0.0.1:8080/" }
  api: { build: ., port: 3000, metrics: /metrics, command: node server.js, depends_on: [postgres, rabbitmq] }
`,
  );
  config = await loadConfig({ cwd: dir });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The official images users get by default (tests elsewhere override them with stand-ins). */
const IMAGES = {
  postgres: 'postgres:16-alpine',
  redis: 'redis:7-alpine',
  rabbitmq: 'rabbitmq:3-management',
  mariadb: 'mariadb:11',
  mysql: 'mysql:8',
  memcached: 'memcached:1-alpine',
  nats: 'nats:2-alpine',
  mailpit: 'axllent/mailpit:latest',
  minio: 'minio/minio:latest',
  elasticsearch: 'elasticsearch:8.15.3',
  opensearch: 'opensearchproject/opensearch:2',
  prometheus: 'prom/prometheus:latest',
  proxy: 'nginx:1',
};

/** What the apps get inside the network: service names, container ports, secrets as references. */
const IN_NETWORK = {
  DATABASE_URL: 'postgres://postgres:${POSTGRES_PASSWORD}@postgres:5432/allkinds',
  REDIS_URL: 'redis://redis:6379',
  AMQP_URL: 'amqp://guest:${RABBITMQ_PASSWORD}@rabbitmq:5672/%2F',
  // The first MySQL-protocol server gives MYSQL_URL.
  MYSQL_URL: 'mysql://mariadb:${MARIADB_PASSWORD}@mariadb:3306/allkinds',
  MEMCACHED_URL: 'memcached://memcached:11211',
  NATS_URL: 'nats://${NATS_TOKEN}@nats:4222',
  SMTP_URL: 'smtp://mailpit:1025',
  AWS_ENDPOINT_URL_S3: 'http://minio:9000',
  AWS_SECRET_ACCESS_KEY: '${MINIO_PASSWORD}',
  ELASTICSEARCH_URL: 'http://elastic:${ELASTICSEARCH_PASSWORD}@elasticsearch:9200',
  OPENSEARCH_URL: 'http://opensearch:9200',
  PROMETHEUS_URL: 'http://prometheus:9090',
};

describe('tm render compose: every kind', () => {
  // biome-ignore lint/suspicious/noExplicitAny: parsed YAML, read field by field
  let compose: any;
  let text: string;
  beforeAll(async () => {
    text = (await render(config, 'compose')).text;
    compose = parse(text);
  });

  it('each kind runs its official image, with its container ports published on loopback', () => {
    expect(Object.fromEntries(Object.entries(IMAGES).map(([name]) => [name, compose.services[name].image]))).toEqual(IMAGES);
    expect(compose.services.rabbitmq.ports).toEqual(['127.0.0.1:5672:5672', '127.0.0.1:15672:15672']);
    expect(compose.services.mysql.ports).toEqual(['127.0.0.1:3307:3306']);
    expect(compose.services.opensearch.ports).toEqual(['127.0.0.1:9201:9200']);
    expect(compose.services.proxy.ports).toEqual(['127.0.0.1:8080:80']);
    // RabbitMQ's node distribution ports serve local binaries only.
    expect(JSON.stringify(compose.services.rabbitmq.ports)).not.toMatch(/25672|4369/);
  });

  it("each image gets its own contract's variables, secrets by reference, and no value is written", () => {
    expect(compose.services.rabbitmq.environment).toEqual({
      RABBITMQ_DEFAULT_USER: 'guest',
      RABBITMQ_DEFAULT_PASS: '${RABBITMQ_PASSWORD}',
      RABBITMQ_DEFAULT_VHOST: '/',
    });
    expect(compose.services.mariadb.environment).toMatchObject({
      MARIADB_DATABASE: 'allkinds',
      MARIADB_USER: 'mariadb',
      MARIADB_PASSWORD: '${MARIADB_PASSWORD}',
      MARIADB_ROOT_PASSWORD: '${MARIADB_ROOT_PASSWORD}',
    });
    expect(compose.services.mysql.environment).toMatchObject({ MYSQL_USER: 'mysql', MYSQL_PASSWORD: '${MYSQL_PASSWORD}', MYSQL_RANDOM_ROOT_PASSWORD: 'yes' });
    expect(compose.services.minio.environment).toEqual({ MINIO_ROOT_USER: 'minioadmin', MINIO_ROOT_PASSWORD: '${MINIO_PASSWORD}' });
    expect(compose.services.elasticsearch.environment).toMatchObject({ 'discovery.type': 'single-node', ELASTIC_PASSWORD: '${ELASTICSEARCH_PASSWORD}' });
    expect(compose.services.proxy.environment).toEqual({ GREETING: 'hi' });
    // Services get their image's variables only, never the apps' contract.
    expect(compose.services.rabbitmq.environment.DATABASE_URL).toBeUndefined();
    for (const value of Object.values(SECRETS)) expect(text).not.toContain(value);
  });

  it('a named volume where each kind keeps its data; none for memcached, nor NATS without JetStream', () => {
    const mounts = Object.fromEntries(Object.entries(compose.services).map(([name, s]) => [name, (s as { volumes?: string[] }).volumes]));
    expect(mounts).toMatchObject({
      postgres: ['postgres-data:/var/lib/postgresql/data'],
      rabbitmq: ['rabbitmq-data:/var/lib/rabbitmq'],
      mariadb: ['mariadb-data:/var/lib/mysql'],
      mysql: ['mysql-data:/var/lib/mysql'],
      minio: ['minio-data:/data'],
      elasticsearch: ['elasticsearch-data:/usr/share/elasticsearch/data'],
      prometheus: ['prometheus-data:/prometheus'],
      proxy: ['proxy-data:/usr/share/nginx/html'],
    });
    expect(mounts.memcached).toBeUndefined();
    expect(mounts.nats).toBeUndefined();
    expect(Object.keys(compose.volumes)).toContain('rabbitmq-data');
  });

  it("the app gets every service's URL inside the network, and Prometheus scrapes its metrics path", () => {
    expect(compose.services.api.environment).toMatchObject(IN_NETWORK);
    expect(compose.services.api.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, rabbitmq: { condition: 'service_healthy' } });
    const scrape = parse(compose.configs['prometheus-prometheus-yml'].content);
    expect(scrape.scrape_configs).toContainEqual({ job_name: 'api', metrics_path: '/metrics', static_configs: [{ targets: ['api:3000'] }] });
    // NATS reads its token from its configuration, by reference too.
    expect(compose.configs['nats-tm-conf'].content).toContain('authorization { token: "${NATS_TOKEN}" }');
  });

  it.skipIf(!hasCompose)('docker compose accepts the file', async () => {
    const file = join(dir, 'compose.yml');
    await writeFile(file, text);
    const r = await execa('docker', ['compose', '-f', file, 'config', '--quiet'], { cwd: dir, reject: false });
    expect(r.exitCode, String(r.stderr)).toBe(0);
  });
});

describe('tm render k8s: every kind', () => {
  // biome-ignore lint/suspicious/noExplicitAny: manifests are parsed YAML, read field by field
  type Manifest = { kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string>; stringData?: Record<string, string> };
  let files: Record<string, string>;
  let manifests: Manifest[];
  const find = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name)!;
  beforeAll(async () => {
    files = renderK8s(config, { ...(await readK8sInputs(config)), namespace: 'allkinds' }).files;
    manifests = Object.entries(files)
      .filter(([n]) => n.endsWith('.yaml') && n !== 'kustomization.yaml')
      .flatMap(([, t]) => parseAllDocuments(t).map((d) => d.toJS() as Manifest));
  });

  it('every manifest validates against the Kubernetes schema, and no secret value is written', () => {
    validateManifests(manifests);
    for (const value of Object.values(SECRETS)) expect(JSON.stringify(files)).not.toContain(value);
  });

  it('each kind that keeps data is a StatefulSet with a claim, the others (memcached, NATS without JetStream) Deployments; each behind a Service', () => {
    const stateless = ['memcached', 'nats'];
    for (const [name, image] of Object.entries(IMAGES)) {
      const set = find(stateless.includes(name) ? 'Deployment' : 'StatefulSet', name);
      expect(set, name).toBeDefined();
      expect(set.spec.template.spec.containers[0].image, name).toBe(image);
      expect(set.spec.volumeClaimTemplates?.[0].metadata.name, name).toBe(stateless.includes(name) ? undefined : 'data');
      expect(find('Service', name), name).toBeDefined();
    }
    const rabbit = find('StatefulSet', 'rabbitmq').spec.template.spec.containers[0];
    expect(rabbit.ports).toEqual([
      { name: 'amqp', containerPort: 5672 },
      { name: 'management', containerPort: 15672 },
    ]);
    expect(rabbit.env).toContainEqual({ name: 'RABBITMQ_DEFAULT_PASS', valueFrom: { secretKeyRef: { name: 'allkinds-secret', key: 'RABBITMQ_PASSWORD' } } });
    expect(rabbit.readinessProbe.exec.command).toEqual(['rabbitmq-diagnostics', '-q', 'check_port_connectivity']);
  });

  it("the apps' URLs inside the cluster: those with a secret in the Secret, the others in the ConfigMap", () => {
    const plain = find('ConfigMap', 'allkinds-config').data!;
    const secret = find('Secret', 'allkinds-secret').stringData!;
    expect(plain).toMatchObject({ MEMCACHED_URL: 'memcached://memcached:11211', SMTP_URL: 'smtp://mailpit:1025', OPENSEARCH_URL: 'http://opensearch:9200' });
    expect(secret).toMatchObject({
      AMQP_URL: 'amqp://guest:REPLACE_ME@rabbitmq:5672/%2F',
      MYSQL_URL: 'mysql://mariadb:REPLACE_ME@mariadb:3306/allkinds',
      RABBITMQ_PASSWORD: 'REPLACE_ME',
      MARIADB_PASSWORD: 'REPLACE_ME',
    });
    expect(plain.AMQP_URL).toBeUndefined();
  });

  it.skipIf(!hasKubectl)('kubectl kustomize builds the base', async () => {
    const out = join(dir, 'k8s');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(out, { recursive: true });
    for (const [name, t] of Object.entries(files)) await writeFile(join(out, name), t);
    const r = await execa('kubectl', ['kustomize', out], { reject: false });
    expect(r.exitCode, String(r.stderr)).toBe(0);
  });
});
