import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { Config } from '../config/load.js';
import type { AppService, PostgresService, RedisService, Service } from '../config/schema.js';

export interface K8sOptions {
  namespace?: string;
  /** Image that has `tm` and the project's migrations (for the Job and init containers). */
  migrateImage?: string;
  /** Values for the Secret from `.env` instead of placeholders. */
  secrets?: Record<string, string>;
  /** sha256 of the migration files, to name the Job (its pod template is immutable). */
  migrationsHash: string;
}

export interface K8sBase {
  /** File name -> YAML text. */
  files: Record<string, string>;
  /** What could not be translated, and why (printed on stderr). */
  notes: string[];
}

export const DEFAULT_MIGRATE_IMAGE = 'ghcr.io/taskmaster/tm:0.1';
const PLACEHOLDER = 'REPLACE_ME';

/**
 * A kustomize base from the model: StatefulSets for Postgres and Redis, a Deployment per
 * app, a ConfigMap and a Secret from the env contract, and a migration Job that the apps'
 * init containers wait for. Deterministic: the same model gives the same files.
 */
export function renderK8s(config: Config, opts: K8sOptions): K8sBase {
  const notes: string[] = [];
  const files: Record<string, string> = {};
  const name = config.name;
  const labels = (component: string) => ({ 'app.kubernetes.io/name': component, 'app.kubernetes.io/part-of': name });
  const migrateImage = opts.migrateImage ?? DEFAULT_MIGRATE_IMAGE;
  const pg = config.services.find((s): s is PostgresService => s.kind === 'postgres');
  const redis = config.services.find((s): s is RedisService => s.kind === 'redis');

  // ConfigMap for plain values, Secret for secret ones (and URLs that carry a password).
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  const secretValue = (key: string) => opts.secrets?.[key] ?? PLACEHOLDER;
  for (const [key, spec] of Object.entries(config.env)) {
    const isSecret = spec.type === 'secret' || key === 'DATABASE_URL' || key === 'DIRECT_URL';
    if (isSecret) secret[key] = secretValue(key);
    else if (key === 'REDIS_URL' && redis) plain[key] = `redis://${redis.name}:6379`;
    else plain[key] = spec.default ?? spec.example ?? '';
  }
  if (pg) {
    secret.DATABASE_URL = opts.secrets?.DATABASE_URL ? inCluster(opts.secrets.DATABASE_URL, pg) : secret.DATABASE_URL ?? PLACEHOLDER;
    secret.POSTGRES_PASSWORD = opts.secrets?.POSTGRES_PASSWORD ?? PLACEHOLDER;
    plain.POSTGRES_USER = pg.user;
    plain.POSTGRES_DB = pg.database;
  }
  if (redis && !plain.REDIS_URL) plain.REDIS_URL = `redis://${redis.name}:6379`;
  if (!opts.secrets) notes.push(`secret.yaml holds ${PLACEHOLDER} placeholders: fill them (or render with --with-secrets) before applying`);
  files['config.yaml'] = doc(
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-config`, labels: labels(name) }, data: sorted(plain) },
  );
  files['secret.yaml'] = doc({ apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-secret`, labels: labels(name) }, type: 'Opaque', stringData: sorted(secret) });
  const envFrom = [{ configMapRef: { name: `${name}-config` } }, { secretRef: { name: `${name}-secret` } }];

  if (pg) files[`${pg.name}.yaml`] = postgresManifests(pg, labels(pg.name), envFrom);
  if (redis) files[`${redis.name}.yaml`] = redisManifests(redis, labels(redis.name));

  const jobName = `${name}-migrate-${opts.migrationsHash.slice(0, 8)}`;
  const waitForMigrations = {
    name: 'wait-for-migrations',
    image: migrateImage,
    // A Job does not hold back a Deployment: each pod waits until nothing is pending.
    command: ['sh', '-c', 'until tm db status --exit-code; do echo waiting for migrations; sleep 3; done'],
    envFrom,
    securityContext: securityContext(),
  };
  if (pg) {
    files['migrate-job.yaml'] = doc({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: jobName, labels: labels(`${name}-migrate`) },
      spec: {
        backoffLimit: 3,
        template: {
          metadata: { labels: labels(`${name}-migrate`) },
          spec: { restartPolicy: 'OnFailure', containers: [{ name: 'migrate', image: migrateImage, command: ['tm', 'db', 'migrate'], envFrom, securityContext: securityContext() }] },
        },
      },
    });
    notes.push(`the migration Job and the apps' init containers use ${migrateImage}: it must contain tm and this project's migrations (build one FROM it with your db/ folder, and pass --migrate-image)`);
  }

  for (const app of config.services.filter((s): s is AppService => s.kind === 'app')) {
    files[`${app.name}.yaml`] = appManifests(app, labels(app.name), envFrom, pg ? waitForMigrations : undefined, notes);
  }
  for (const s of config.services) if (s.kind === 'app' && s.depends_on.length) notes.push(`${s.name}: depends_on has no Kubernetes equivalent; readiness probes and the migrations init container stand in for it`);
  if (config.docker.compose_file) notes.push('docker.compose_file is not read: the manifests come from taskmaster.yml');
  if (redis && redis.persistence === 'rdb') notes.push(`${redis.name}: rdb persistence is kept as redis-server flags; tune snapshots for production`);

  const resources = Object.keys(files).sort();
  files['kustomization.yaml'] = doc({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    labels: [{ pairs: { 'app.kubernetes.io/managed-by': 'taskmaster' } }],
    resources,
  });
  return { files, notes };
}

function postgresManifests(pg: PostgresService, labels: Record<string, string>, envFrom: unknown[]): string {
  const probe = { exec: { command: ['sh', '-c', `pg_isready -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"`] } };
  return statefulSet(pg.name, labels, 5432, '5Gi', {
    name: 'postgres',
    image: pg.image,
    envFrom,
    // A fresh volume has lost+found at its root, which initdb refuses: use a subdirectory.
    env: [{ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' }],
    volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
    readinessProbe: { ...probe, periodSeconds: 5, timeoutSeconds: 3 },
    livenessProbe: { ...probe, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5 },
    resources: { requests: { cpu: '100m', memory: '256Mi' } },
  });
}

function redisManifests(redis: RedisService, labels: Record<string, string>): string {
  const persistence = redis.persistence === 'aof' ? ['--appendonly', 'yes', '--save', ''] : redis.persistence === 'rdb' ? ['--appendonly', 'no', '--save', '60 1'] : ['--appendonly', 'no', '--save', ''];
  const probe = { exec: { command: ['redis-cli', 'ping'] } };
  return statefulSet(redis.name, labels, 6379, '1Gi', {
    name: 'redis',
    image: redis.image,
    command: ['redis-server', '--dir', '/data', ...persistence],
    volumeMounts: [{ name: 'data', mountPath: '/data' }],
    readinessProbe: { ...probe, periodSeconds: 5, timeoutSeconds: 3 },
    livenessProbe: { ...probe, initialDelaySeconds: 15, periodSeconds: 10, timeoutSeconds: 5 },
    resources: { requests: { cpu: '50m', memory: '64Mi' } },
  });
}

/** A Service and a one-replica StatefulSet whose `data` volume comes from a claim template. */
function statefulSet(name: string, labels: Record<string, string>, port: number, storage: string, container: Record<string, unknown>): string {
  return docs(service(name, labels, port), {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, labels },
    spec: {
      serviceName: name,
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ ...container, ports: [{ name: 'main', containerPort: port }] }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } }],
    },
  });
}

function appManifests(app: AppService, labels: Record<string, string>, envFrom: unknown[], init: Record<string, unknown> | undefined, notes: string[]): string {
  const port = app.port ?? 3000;
  if (!app.image) notes.push(`${app.name}: needs an image (it has ${app.build ? `build: ${app.build}` : 'no image'}); the Deployment uses ${PLACEHOLDER}/${app.name}:latest`);
  const path = app.health ? new URL(app.health).pathname : undefined;
  const probe = path ? { httpGet: { path, port } } : { tcpSocket: { port } };
  const live = path && path.endsWith('/ready') ? { httpGet: { path: path.replace(/\/ready$/, '/live'), port } } : probe;
  return docs(service(app.name, labels, port), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app.name, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 },
          ...(init ? { initContainers: [init] } : {}),
          containers: [
            {
              name: app.name,
              image: app.image ?? `${PLACEHOLDER}/${app.name}:latest`,
              ports: [{ name: 'http', containerPort: port }],
              envFrom,
              env: [{ name: 'PORT', value: String(port) }, ...Object.entries(app.env).sort(([a], [b]) => a.localeCompare(b)).map(([n, v]) => ({ name: n, value: v }))],
              startupProbe: { ...probe, periodSeconds: 2, failureThreshold: 30 },
              readinessProbe: { ...probe, periodSeconds: 5, timeoutSeconds: 3 },
              livenessProbe: { ...live, periodSeconds: 10, timeoutSeconds: 3 },
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
              securityContext: securityContext(),
            },
          ],
        },
      },
    },
  });
}

function service(name: string, labels: Record<string, string>, port: number): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, labels }, spec: { selector: labels, ports: [{ name: 'main', port, targetPort: port }] } };
}

function securityContext(): Record<string, unknown> {
  return { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };
}

/** `postgres://u:p@127.0.0.1:55432/db` -> the in-cluster service name and port. */
function inCluster(url: string, pg: PostgresService): string {
  try {
    const u = new URL(url);
    u.hostname = pg.name;
    u.port = '5432';
    return u.toString();
  } catch {
    return url;
  }
}

function sorted(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

function doc(o: unknown): string {
  return stringify(o, { lineWidth: 0 });
}

function docs(...os: unknown[]): string {
  return os.map(doc).join('---\n');
}

/** sha256 over the migration files (names and contents) that name the Job. */
export function hashFiles(files: { path: string; checksum: string }[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.path}:${f.checksum}\n`);
  return h.digest('hex');
}

