import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { initProject, PROJECT_TEMPLATES } from '../../src/init/init.js';
import { readK8sInputs, renderK8s } from '../../src/render/k8s.js';
import { tmVersion } from '../../src/render/template.js';
import { validateManifests } from '../helpers/k8s-models.js';
import { freePort, TM } from '../helpers/project.js';

// The kustomize base of each starter template, validated offline against the Kubernetes
// schemas (kubernetes-models) and built by `kubectl kustomize`.
const hasKubectl = (await execa('kubectl', ['version', '--client'], { reject: false })).exitCode === 0;
const KUSTOMIZE = `kubectl kustomize builds the base${hasKubectl ? '' : ' (skipped: kubectl is not installed)'}`;
if (!hasKubectl) console.warn('k8s: kubectl is not installed; skipping the kustomize build checks');
const hasDocker = (await execa('docker', ['info'], { reject: false, timeout: 5000 })).exitCode === 0;
if (!hasDocker && process.env.TM_REQUIRE_DOCKER) throw new Error('TM_REQUIRE_DOCKER is set but no Docker engine answers');
if (!hasDocker) console.warn('k8s: no Docker engine; skipping the check that runs the rendered Redis container');

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

// biome-ignore lint/suspicious/noExplicitAny: manifests are parsed YAML, read field by field in the assertions
type Manifest = { kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string>; stringData?: Record<string, string> };
const parseManifests = (files: Record<string, string>) =>
  Object.entries(files)
    .filter(([n]) => n.endsWith('.yaml') && n !== 'kustomization.yaml')
    .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJS() as Manifest));
const validate = validateManifests;
const kustomize = async (out: string) => {
  const r = await execa('kubectl', ['kustomize', out], { reject: false });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  return String(r.stdout);
};

for (const template of PROJECT_TEMPLATES) {
  describe(`tm render k8s: ${template}`, () => {
    let dir: string;
    let files: Record<string, string>;
    let manifests: Manifest[];
    let hash: string;
    const find = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name)!;
    const renderBase = async () => {
      const config = await loadConfig({ cwd: dir });
      const inputs = await readK8sInputs(config);
      return { hash: inputs.migrationsHash, files: renderK8s(config, { ...inputs, namespace: 'demo' }).files };
    };

    // Every test reads this one rendering (and none changes it): each also runs alone.
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tm-k8s-'));
      dirs.push(dir);
      await initProject(dir, { name: 'demo', template, pgPort: 15432, redisPort: 16379, appPort: 3000, runtime: 'native' });
      ({ hash, files } = await renderBase());
      manifests = parseManifests(files);
    });

    it('renders deterministically, and every manifest validates against the Kubernetes schema', async () => {
      expect((await renderBase()).files).toEqual(files);
      validate(manifests);
      // Shared objects (labels, selectors) are written out, not as YAML anchors and aliases.
      for (const [n, text] of Object.entries(files)) expect(text, n).not.toMatch(/[&*]a\d+\b/);
    });

    it("postgres and redis: StatefulSets with claims, PGDATA in a subdirectory, the image's variables, probes like tm's", () => {
      const pg = find('StatefulSet', 'postgres').spec;
      const c = pg.template.spec.containers[0];
      expect(pg.volumeClaimTemplates[0].metadata.name).toBe('data');
      expect(c.env).toContainEqual({ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' });
      expect(c.readinessProbe.exec.command.join(' ')).toContain('pg_isready');
      // The image's own variables only, the password by reference: not the apps' whole contract.
      expect(c.envFrom).toBeUndefined();
      expect(c.env).toContainEqual({ name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'demo-secret', key: 'POSTGRES_PASSWORD' } } });
      const redis = find('StatefulSet', 'redis').spec.template.spec.containers[0];
      expect(redis.readinessProbe.exec.command).toEqual(['sh', '-c', 'redis-cli ping | grep -q PONG']);
      expect(redis.livenessProbe.exec.command).toEqual(['redis-cli', 'ping']);
      expect(redis.command).toContain('--appendonly');
      expect(redis.command).not.toContain('--requirepass');
      // kubectl's YAML reads a plain yes as a boolean (YAML 1.1): every argument must stay a string.
      const read11 = parseAllDocuments(files['redis.yaml']!, { version: '1.1' }).map((d) => d.toJS());
      const args11 = read11.find((d) => d.kind === 'StatefulSet').spec.template.spec.containers[0].command as unknown[];
      expect(
        args11.every((a) => typeof a === 'string'),
        JSON.stringify(args11),
      ).toBe(true);
    });

    it('env wiring: plain values in the ConfigMap, secrets (placeholders) in the Secret', () => {
      const config = find('ConfigMap', 'demo-config').data!;
      const secret = find('Secret', 'demo-secret').stringData!;
      expect(config.REDIS_URL).toBe('redis://redis:6379');
      expect(secret.DATABASE_URL).toBe('postgres://demo:REPLACE_ME@postgres:5432/demo');
      expect(secret.POSTGRES_PASSWORD).toBe('REPLACE_ME');
      expect(JSON.stringify(config)).not.toContain('REPLACE_ME');
    });

    it('a migration Job named by the migrations hash, run as a numeric non-root user; apps wait for it in an init container', () => {
      const job = manifests.find((m) => m.kind === 'Job')!;
      expect(job.metadata.name).toBe(`demo-migrate-${hash.slice(0, 8)}`);
      const pod = job.spec.template.spec;
      expect(pod.containers[0].command).toEqual(['tm', 'db', 'migrate']);
      expect(pod.containers[0].image).toBe(`demo-migrate:${hash.slice(0, 8)}`);
      expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 });
      for (const d of manifests.filter((m) => m.kind === 'Deployment')) {
        const pod = d.spec.template.spec;
        expect(pod.initContainers[0].command.join(' ')).toContain('tm db status --exit-code');
        expect(pod.initContainers[0].image).toBe(`demo-migrate:${hash.slice(0, 8)}`);
        expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 });
        const app = pod.containers[0];
        expect(app.readinessProbe.httpGet.path).toBe('/health/ready');
        expect(app.livenessProbe.httpGet.path).toBe('/health/live');
        expect(app.startupProbe.httpGet.path).toBe('/health/ready');
        expect(app.resources.requests).toBeDefined();
      }
      if (template === 'express-pg') expect(manifests.some((m) => m.kind === 'Deployment' && m.metadata.name === 'api')).toBe(true);
    });

    it("migrate.Dockerfile builds that image: tm, taskmaster.yml and the migrations, as the pods' user", async () => {
      const text = files['migrate.Dockerfile']!;
      const migrations = template === 'next-prisma' ? 'prisma/migrations' : 'db/migrations';
      expect(text).toMatch(/^FROM node:20-bookworm-slim$/m);
      expect(text.split('\n').find((l) => l.startsWith('RUN npm install --global '))).toBe(
        `RUN npm install --global --no-audit --no-fund taskmaster-cli@${tmVersion()} && npm cache clean --force`,
      );
      expect(text).toContain('\nCOPY taskmaster.yml ./\n');
      expect(text).toContain(`\nCOPY ${migrations} ./${migrations}\n`);
      expect(text).toContain('\nUSER 1000:1000\n');
      expect(parseAllDocuments(files['kustomization.yaml']!)[0]!.toJS().resources).not.toContain('migrate.Dockerfile');
      // The hash is over the migration files: a new migration renames the Job.
      if (template !== 'next-prisma') {
        const config = await loadConfig({ cwd: dir });
        await writeFile(join(dir, 'db/migrations/20990101000000_more.sql'), '-- migrate:up\nSELECT 1;\n');
        expect((await readK8sInputs(config)).migrationsHash).not.toBe(hash);
        await rm(join(dir, 'db/migrations/20990101000000_more.sql'));
      }
    });

    it.skipIf(!hasKubectl)(KUSTOMIZE, async () => {
      const out = await mkdtemp(join(dir, 'k8s-'));
      for (const [n, text] of Object.entries(files)) await writeFile(join(out, n), text);
      expect(await kustomize(out)).toContain('namespace: demo');
    });
  });
}

describe('tm render k8s: values from .env', () => {
  let dir: string;
  let redisPort: number;
  const SECRETS = ['tokSECRET789', 'redisSECRET456', 'pgSECRET123', 'jwtSECRET321', 'stripeSECRET654'];
  const tm = (...args: string[]) => execa(process.execPath, [TM, ...args], { cwd: dir, reject: false, env: { NO_COLOR: '1' } });
  let manifests: Manifest[];
  const find = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name)!;
  /** Renders the base into `out` and returns its files. */
  const renderTo = async (out: string) => {
    const r = await tm('render', 'k8s', '--out', out);
    expect(r.exitCode, r.stderr).toBe(0);
    const files: Record<string, string> = {};
    for (const n of await readdir(join(dir, out))) files[n] = await readFile(join(dir, out, n), 'utf8');
    return { r, files };
  };

  // The tests that read the manifests read this rendering; each test writes its own folder, so each also runs alone.
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tm-k8s-env-'));
    dirs.push(dir);
    redisPort = await freePort();
    await writeFile(
      join(dir, 'taskmaster.yml'),
      `name: shop
services:
  postgres: { port: ${await freePort()}, user: shop, password: "\${POSTGRES_PASSWORD}" }
  redis: { port: ${redisPort}, password: "\${REDIS_PASSWORD}" }
  api:
    image: shop/api:1
    port: 3000
    health: http://localhost:3000/health/ready
    env:
      API_TOKEN: "\${API_TOKEN}"
      UPSTREAM: "https://up.example/?key=\${UPSTREAM_KEY}&level=\${LOG_LEVEL}"
      LEVEL: "\${LOG_LEVEL}"
      MODE: fast
      PRICE: "5$$"
      DEPLOY: "\${CI_DEPLOY_TOKEN}"
env:
  API_TOKEN: { type: secret }
  DATABASE_URL: { type: postgres-url, required: true }
  REDIS_URL: { type: redis-url, required: true }
  LOG_LEVEL: { enum: [info, debug], default: info }
  JWT_SECRET: { type: string }
  STRIPE_API_KEY: { description: "a secret by its name, whatever its type" }
`,
    );
    await writeFile(
      join(dir, '.env'),
      `API_TOKEN=tokSECRET789\nUPSTREAM_KEY=tokSECRET789\nREDIS_PASSWORD=redisSECRET456\nPOSTGRES_PASSWORD=pgSECRET123\n` +
        `DATABASE_URL=postgres://shop:pgSECRET123@127.0.0.1:5432/shop\n` +
        `REDIS_URL=redis://:redisSECRET456@127.0.0.1:${redisPort}\nJWT_SECRET=jwtSECRET321\nSTRIPE_API_KEY=stripeSECRET654\n`,
    );
    manifests = parseManifests((await renderTo('base')).files);
  });

  it('writes no value from .env: interpolated values become references into the Secret or the ConfigMap', async () => {
    const { r, files } = await renderTo('k8s-leak');
    const stdout = await tm('render', 'k8s', '--json');
    for (const text of [...Object.values(files), r.stdout, r.stderr, stdout.stdout, stdout.stderr]) {
      for (const s of SECRETS) expect(text).not.toContain(s);
    }
    validate(parseManifests(files));
    const env = find('Deployment', 'api').spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'shop-secret', key: 'API_TOKEN' } } });
    expect(env).toContainEqual({ name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'shop-config', key: 'LOG_LEVEL' } } });
    // Inside a longer value, Kubernetes' own $(VAR) expansion; a literal $ is $$.
    expect(env).toContainEqual({ name: 'UPSTREAM', value: 'https://up.example/?key=$(UPSTREAM_KEY)&level=$(LOG_LEVEL)' });
    expect(env).toContainEqual({ name: 'MODE', value: 'fast' });
    expect(env).toContainEqual({ name: 'PRICE', value: '5$$' });
    const secret = find('Secret', 'shop-secret').stringData!;
    // A variable outside the contract may be a secret: it goes into the Secret.
    expect(secret.UPSTREAM_KEY).toBe('REPLACE_ME');
    expect(secret.API_TOKEN).toBe('REPLACE_ME');
    // A secret-like name makes a secret whatever its type: never in the ConfigMap.
    const config = find('ConfigMap', 'shop-config').data!;
    for (const key of ['JWT_SECRET', 'STRIPE_API_KEY']) {
      expect(config[key], key).toBeUndefined();
      expect(secret[key], key).toBe('REPLACE_ME');
    }
  });

  it('the Redis password: requirepass from the Secret, probes authenticated, REDIS_URL in the Secret', () => {
    const config = find('ConfigMap', 'shop-config').data!;
    const secret = find('Secret', 'shop-secret').stringData!;
    expect(config.REDIS_URL).toBeUndefined();
    expect(secret.REDIS_URL).toBe('redis://:REPLACE_ME@redis:6379');
    expect(secret.REDIS_PASSWORD).toBe('REPLACE_ME');
    const redis = find('StatefulSet', 'redis').spec.template.spec.containers[0];
    expect(redis.command.slice(-2)).toEqual(['--requirepass', '$(REDIS_PASSWORD)']);
    const fromSecret = { valueFrom: { secretKeyRef: { name: 'shop-secret', key: 'REDIS_PASSWORD' } } };
    expect(redis.env).toEqual([
      { name: 'REDIS_PASSWORD', ...fromSecret },
      { name: 'REDISCLI_AUTH', ...fromSecret },
    ]);
  });

  it.skipIf(!hasDocker)(
    'the rendered Redis container requires its password, and its probes pass with it and only with it',
    async () => {
      const redis = find('StatefulSet', 'redis').spec.template.spec.containers[0];
      const env = { REDIS_PASSWORD: 'k8s-test-pw', REDISCLI_AUTH: 'k8s-test-pw' };
      // What the kubelet does with $(VAR) in a command.
      const command = (redis.command as string[]).map((a) => a.replace(/\$\(([A-Z_]+)\)/g, (_, v: keyof typeof env) => env[v]));
      const name = `tm-k8s-redis-${process.pid}`;
      const run = await execa(
        'docker',
        ['run', '-d', '--name', name, ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), 'standin/redis:7', ...command],
        { reject: false },
      );
      expect(run.exitCode, String(run.stderr)).toBe(0);
      try {
        const probe = (p: { exec: { command: string[] } }, auth?: string) =>
          execa('docker', ['exec', ...(auth !== undefined ? ['-e', `REDISCLI_AUTH=${auth}`] : []), name, ...p.exec.command], { reject: false });
        let ready = await probe(redis.readinessProbe);
        for (let i = 0; i < 100 && ready.exitCode !== 0; i++) ready = await probe(redis.readinessProbe);
        expect(ready.exitCode).toBe(0);
        expect((await probe(redis.readinessProbe, 'wrong')).exitCode).toBe(1);
        expect((await probe(redis.livenessProbe)).exitCode).toBe(0);
        const noAuth = await execa('docker', ['exec', '-e', 'REDISCLI_AUTH=', name, 'redis-cli', 'set', 'k', 'v'], { reject: false });
        expect(String(noAuth.stdout)).toMatch(/NOAUTH/);
      } finally {
        await execa('docker', ['rm', '-f', name], { reject: false });
      }
    },
    60_000,
  );

  it('--with-secrets fills the Secret from .env, with the in-cluster URLs, and nothing from the shell', async () => {
    // A variable only the shell has stays a placeholder, though an app value names it.
    const r = await execa(process.execPath, [TM, 'render', 'k8s', '--with-secrets', '--json'], {
      cwd: dir,
      reject: false,
      env: { NO_COLOR: '1', CI_DEPLOY_TOKEN: 'shellSECRET777' },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('--with-secrets');
    expect(r.stdout).not.toContain('shellSECRET777');
    const secret = parseAllDocuments(JSON.parse(r.stdout).files['secret.yaml'])[0]!.toJS().stringData;
    expect(secret).toMatchObject({
      API_TOKEN: 'tokSECRET789',
      UPSTREAM_KEY: 'tokSECRET789',
      REDIS_PASSWORD: 'redisSECRET456',
      REDIS_URL: 'redis://:redisSECRET456@redis:6379',
      DATABASE_URL: 'postgres://shop:pgSECRET123@postgres:5432/shop',
      POSTGRES_PASSWORD: 'pgSECRET123',
      JWT_SECRET: 'jwtSECRET321',
      STRIPE_API_KEY: 'stripeSECRET654',
      CI_DEPLOY_TOKEN: 'REPLACE_ME',
    });
  });

  it('--check: up to date, then a missing, an edited and a stale file, each named', async () => {
    await renderTo('k8s');
    expect((await tm('render', 'k8s', '--check')).exitCode).toBe(0);
    await rm(join(dir, 'k8s/config.yaml'));
    await writeFile(join(dir, 'k8s/api.yaml'), (await readFile(join(dir, 'k8s/api.yaml'), 'utf8')).replace('replicas: 2', 'replicas: 3'));
    await writeFile(join(dir, 'k8s/worker.yaml'), 'kind: Deployment\n');
    const r = await tm('render', 'k8s', '--check');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('k8s/config.yaml: missing');
    expect(r.stdout).toContain('-  replicas: 3\n+  replicas: 2');
    expect(r.stdout).toContain('k8s/worker.yaml: not rendered from taskmaster.yml any more');
    expect(r.stderr).toContain('error TM_RENDER_DRIFT k8s/ is out of date with taskmaster.yml: 1 differ, 1 missing, 1 stale');
  });

  it('reports how to build the migration image, which copies the migrations once there are any', async () => {
    const dockerfile = () => readFile(join(dir, 'deploy/base/migrate.Dockerfile'), 'utf8');
    let r = await tm('render', 'k8s', '--out', 'deploy/base');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/build the migration image: docker build -f deploy\/base\/migrate\.Dockerfile -t shop-migrate:[0-9a-f]{8} \./);
    expect(await dockerfile()).not.toContain('COPY db/migrations');
    await mkdir(join(dir, 'db/migrations'), { recursive: true });
    await writeFile(join(dir, 'db/migrations/001_init.sql'), 'CREATE TABLE t (id int);\n');
    r = await tm('render', 'k8s', '--out', 'deploy/base');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await dockerfile()).toContain('\nCOPY db/migrations ./db/migrations\n');
  });

  it.skipIf(!hasKubectl)(KUSTOMIZE, async () => {
    await renderTo('kustomize');
    expect(await kustomize(join(dir, 'kustomize'))).toContain('name: shop-secret');
  });
});
