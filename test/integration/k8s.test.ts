import { execa } from 'execa';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { initProject, PROJECT_TEMPLATES } from '../../src/init/init.js';
import { hashFiles, renderK8s } from '../../src/render/k8s.js';

// The kustomize base of each starter template, validated offline against the Kubernetes
// schemas (kubernetes-models) and built by `kubectl kustomize`.
const require = createRequire(import.meta.url);
const MODELS: Record<string, string> = {
  Service: 'kubernetes-models/v1/Service',
  ConfigMap: 'kubernetes-models/v1/ConfigMap',
  Secret: 'kubernetes-models/v1/Secret',
  StatefulSet: 'kubernetes-models/apps/v1/StatefulSet',
  Deployment: 'kubernetes-models/apps/v1/Deployment',
  Job: 'kubernetes-models/batch/v1/Job',
};
const hasKubectl = (await execa('kubectl', ['version', '--client'], { reject: false })).exitCode === 0;
if (!hasKubectl) console.warn('k8s: kubectl is not installed; skipping the kustomize build check');

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

type Manifest = { kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string>; stringData?: Record<string, string> };

for (const template of PROJECT_TEMPLATES) {
  describe(`tm render k8s: ${template}`, () => {
    let dir: string;
    let files: Record<string, string>;
    let manifests: Manifest[];
    const find = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name)!;

    it('renders deterministically, and every manifest validates against the Kubernetes schema', async () => {
      dir = await mkdtemp(join(tmpdir(), 'tm-k8s-'));
      dirs.push(dir);
      await initProject(dir, { name: 'demo', template, pgPort: 15432, redisPort: 16379, appPort: 3000, runtime: 'native' });
      const config = await loadConfig({ cwd: dir });
      const opts = { migrationsHash: hashFiles([{ path: 'x', checksum: template }]), namespace: 'demo' };
      files = renderK8s(config, opts).files;
      expect(renderK8s(config, opts).files).toEqual(files);
      manifests = Object.entries(files)
        .filter(([n]) => n !== 'kustomization.yaml')
        .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJS() as Manifest));
      for (const m of manifests) {
        const Model = require(MODELS[m.kind]!)[m.kind];
        expect(() => new Model(m).validate(), `${m.kind} ${m.metadata.name}`).not.toThrow();
      }
    });

    it('postgres and redis: StatefulSets with claims, PGDATA in a subdirectory, probes like tm\'s', () => {
      const pg = find('StatefulSet', 'postgres').spec;
      const c = pg.template.spec.containers[0];
      expect(pg.volumeClaimTemplates[0].metadata.name).toBe('data');
      expect(c.env).toContainEqual({ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' });
      expect(c.readinessProbe.exec.command.join(' ')).toContain('pg_isready');
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'demo-config' } }, { secretRef: { name: 'demo-secret' } }]);
      const redis = find('StatefulSet', 'redis').spec.template.spec.containers[0];
      expect(redis.readinessProbe.exec.command).toEqual(['redis-cli', 'ping']);
      expect(redis.command).toContain('--appendonly');
    });

    it('env wiring: plain values in the ConfigMap, secrets (placeholders) in the Secret', () => {
      const config = find('ConfigMap', 'demo-config').data!;
      const secret = find('Secret', 'demo-secret').stringData!;
      expect(config.REDIS_URL).toBe('redis://redis:6379');
      expect(secret.DATABASE_URL).toBe('REPLACE_ME');
      expect(secret.POSTGRES_PASSWORD).toBe('REPLACE_ME');
      expect(JSON.stringify(config)).not.toContain('REPLACE_ME');
    });

    it('a migration Job named by the migrations hash; apps wait for it in an init container', () => {
      const job = manifests.find((m) => m.kind === 'Job')!;
      expect(job.metadata.name).toMatch(/^demo-migrate-[0-9a-f]{8}$/);
      expect(job.spec.template.spec.containers[0].command).toEqual(['tm', 'db', 'migrate']);
      for (const d of manifests.filter((m) => m.kind === 'Deployment')) {
        const pod = d.spec.template.spec;
        expect(pod.initContainers[0].command.join(' ')).toContain('tm db status --exit-code');
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        const app = pod.containers[0];
        expect(app.readinessProbe.httpGet.path).toBe('/health/ready');
        expect(app.livenessProbe.httpGet.path).toBe('/health/live');
        expect(app.startupProbe.httpGet.path).toBe('/health/ready');
        expect(app.resources.requests).toBeDefined();
      }
      if (template === 'express-pg') expect(manifests.some((m) => m.kind === 'Deployment' && m.metadata.name === 'api')).toBe(true);
    });

    it.skipIf(!hasKubectl)('kubectl kustomize builds the base', async () => {
      const out = join(dir, 'k8s');
      await mkdir(out);
      for (const [n, text] of Object.entries(files)) await writeFile(join(out, n), text);
      const r = await execa('kubectl', ['kustomize', out], { reject: false });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      expect(String(r.stdout)).toContain('namespace: demo');
    });
  });
}
