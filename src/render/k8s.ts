import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Config } from '../config/load.js';
import type { AppService, EnvVarSpec, PostgresService, RedisService } from '../config/schema.js';
import { isSecret } from '../env/secrets.js';
import { containerPort, inNetworkUrl, toNetworkUrl } from '../config/services.js';
import { projectPasswordVariable } from './compose.js';
import { DEFAULT_BASE_IMAGE, fillTextTemplate, tmPackageSpec } from './template.js';

export interface K8sOptions {
  namespace?: string;
  /** Image that has `tm` and the project's migrations (for the Job and init containers). */
  migrateImage?: string;
  /** Values for the Secret from `.env` instead of placeholders. */
  secrets?: Record<string, string>;
  /** sha256 of the migration files, to name the Job (its pod template is immutable). */
  migrationsHash: string;
  /** The migrations folder relative to the project root, copied into the migration image. */
  migrationsPath: string;
  /** false when that folder does not exist (yet): there is nothing to copy. */
  migrationsExist?: boolean;
  /**
   * The text of taskmaster.yml before interpolation, for the env contract's defaults: one
   * that came from `${VAR}` is left empty, never the value it had on this machine. (Apps'
   * values as written come with the model, as `envSource`.)
   */
  source: string;
  /** Base image of `migrate.Dockerfile` (default node:20-bookworm-slim). */
  baseImage?: string;
}

export interface K8sBase {
  /** File name -> text: the manifests, kustomization.yaml and migrate.Dockerfile. */
  files: Record<string, string>;
  /** What could not be translated, and why (printed on stderr). */
  notes: string[];
  /** The image the Job and init containers run (build it from migrate.Dockerfile). */
  migrateImage: string;
  /** Files that hold real secret values (`secret.yaml` with `secrets`): written with mode 0600. */
  secretFiles: string[];
}

/** What `renderK8s` needs from the project besides the model: read from disk. */
export async function readK8sInputs(config: Config): Promise<Pick<K8sOptions, 'source' | 'migrationsHash' | 'migrationsPath' | 'migrationsExist'>> {
  const { openMigrations } = await import('../db/migrations/layouts.js');
  const migrations = await openMigrations(config);
  const files = await migrations.files();
  return {
    source: await readFile(config.file, 'utf8'),
    migrationsHash: hashFiles(files),
    migrationsPath: relative(config.root, migrations.dir).split('\\').join('/'),
    migrationsExist: existsSync(migrations.dir),
  };
}

const PLACEHOLDER = 'REPLACE_ME';
/** Node's user in the official node images: the migration image and the pods run as it. */
const NODE_UID = 1000;
/** `${VAR}`, `${VAR:-default}`, `${VAR-default}` as taskmaster.yml interpolates them, and `$$`. */
const REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g;

type EnvVar = { name: string; value?: string; valueFrom?: Record<string, unknown> };

/** What the manifests are made from, computed before any of them is rendered. */
interface K8sValues {
  /** ConfigMap data: the contract's plain values. */
  plain: Record<string, string>;
  /** Secret data: secrets, URLs that carry a password, and variables the apps refer to outside the contract. */
  secret: Record<string, string>;
  /** Each app's `env:` entries (by app name): values, or references into the ConfigMap or the Secret. */
  appEnv: Record<string, EnvVar[]>;
  /** The image the Job and init containers run. */
  migrateImage: string;
  notes: string[];
}

/**
 * A kustomize base from the model: StatefulSets for Postgres and Redis, a Deployment per
 * app, a ConfigMap and a Secret from the env contract, and a migration Job that the apps'
 * init containers wait for. Deterministic: the same model gives the same files. No value
 * from `.env` is written unless `secrets` is given: interpolated values become references
 * into the ConfigMap or the Secret.
 */
export function renderK8s(config: Config, opts: K8sOptions): K8sBase {
  const { plain, secret, appEnv, migrateImage, notes } = k8sValues(config, opts);
  const files: Record<string, string> = {};
  const name = config.name;
  const configName = `${name}-config`;
  const secretName = `${name}-secret`;
  const labels = (component: string) => ({ 'app.kubernetes.io/name': component, 'app.kubernetes.io/part-of': name });
  const pg = config.services.find((s): s is PostgresService => s.kind === 'postgres');
  const redis = config.services.find((s): s is RedisService => s.kind === 'redis');

  const envFrom = [{ configMapRef: { name: configName } }, { secretRef: { name: secretName } }];
  if (pg) files[`${pg.name}.yaml`] = postgresManifests(pg, labels(pg.name), envFrom);
  if (redis)
    files[`${redis.name}.yaml`] = redisManifests(
      redis,
      labels(redis.name),
      redis.password ? { name: secretName, key: projectPasswordVariable(redis) } : undefined,
    );

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
          spec: {
            restartPolicy: 'OnFailure',
            // runAsNonRoot needs a numeric user to verify: the node user of the migration image.
            securityContext: podSecurityContext(),
            containers: [{ name: 'migrate', image: migrateImage, command: ['tm', 'db', 'migrate'], envFrom, securityContext: securityContext() }],
          },
        },
      },
    });
    files['migrate.Dockerfile'] = fillTextTemplate('k8s/migrate.Dockerfile', {
      base: opts.baseImage ?? DEFAULT_BASE_IMAGE,
      package: tmPackageSpec(),
      copy_migrations:
        opts.migrationsExist === false
          ? `# (no ${opts.migrationsPath} folder yet: render again once it exists)`
          : `COPY ${opts.migrationsPath} ./${opts.migrationsPath}`,
      uid: String(NODE_UID),
    });
  }

  for (const app of config.services.filter((s): s is AppService => s.kind === 'app')) {
    files[`${app.name}.yaml`] = appManifests(app, labels(app.name), envFrom, appEnv[app.name]!, pg ? waitForMigrations : undefined);
  }

  files['config.yaml'] = doc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: configName, labels: labels(name) }, data: sorted(plain) });
  files['secret.yaml'] = doc({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName, labels: labels(name) },
    type: 'Opaque',
    stringData: sorted(secret),
  });
  const resources = Object.keys(files)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  files['kustomization.yaml'] = doc({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    labels: [{ pairs: { 'app.kubernetes.io/managed-by': 'taskmaster' } }],
    resources,
  });
  return { files, notes, migrateImage, secretFiles: opts.secrets ? ['secret.yaml'] : [] };
}

/**
 * The ConfigMap's and the Secret's data, each app's environment and the notes, from the
 * model: every Secret key an app's `${VAR}` needs is known here, before anything renders.
 */
function k8sValues(config: Config, opts: K8sOptions): K8sValues {
  const notes: string[] = [];
  const migrateImage = opts.migrateImage ?? `${config.name}-migrate:${opts.migrationsHash.slice(0, 8)}`;
  const pg = config.services.find((s): s is PostgresService => s.kind === 'postgres');
  const redis = config.services.find((s): s is RedisService => s.kind === 'redis');
  const apps = config.services.filter((s): s is AppService => s.kind === 'app');
  const rawEnv = writtenContract(opts.source);
  const fill = (key: string) => opts.secrets?.[key] ?? PLACEHOLDER;
  const password = (value: string) => (opts.secrets ? encodeURIComponent(value) : PLACEHOLDER);

  // ConfigMap for plain values, Secret for secret ones (and URLs that carry a password).
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  const pgUrl = pg && (opts.secrets?.DATABASE_URL ? toNetworkUrl(opts.secrets.DATABASE_URL, pg) : inNetworkUrl(pg, password(pg.password)));
  const redisUrl = redis && inNetworkUrl(redis, password(redis.password ?? ''));
  for (const [key, spec] of Object.entries(config.env)) {
    if (key === 'DATABASE_URL' && pgUrl) secret[key] = pgUrl;
    else if (key === 'REDIS_URL' && redisUrl) (redis!.password ? secret : plain)[key] = redisUrl;
    else if (belongsInSecret(key, spec)) secret[key] = fill(key);
    else {
      const rawSpec = rawEnv[key];
      const value = spec.default ?? spec.example ?? '';
      const interpolated = [rawSpec?.default, rawSpec?.example].some((v) => typeof v === 'string' && hasRef(v));
      if (interpolated) notes.push(`${key}: its default comes from \${...} on this machine; config.yaml leaves it empty, set it there`);
      plain[key] = interpolated ? '' : value;
    }
  }
  if (pg) {
    secret.DATABASE_URL = pgUrl!;
    secret.POSTGRES_PASSWORD = opts.secrets ? pg.password : PLACEHOLDER;
    plain.POSTGRES_USER = pg.user;
    plain.POSTGRES_DB = pg.database;
  }
  if (redis?.password) {
    // The URL carries the password: it belongs in the Secret, not the ConfigMap.
    delete plain.REDIS_URL;
    secret.REDIS_URL = redisUrl!;
    secret[projectPasswordVariable(redis)] = opts.secrets ? redis.password : PLACEHOLDER;
  } else if (redis && !plain.REDIS_URL) plain.REDIS_URL = redisUrl!;

  // Apps in config order: a variable one app added to the Secret is a reference for the next.
  const appEnv: Record<string, EnvVar[]> = {};
  for (const app of apps) {
    const { env, secretKeys } = appEnvEntries(app, plain, secret, {
      configName: `${config.name}-config`,
      secretName: `${config.name}-secret`,
      values: opts.secrets,
    });
    appEnv[app.name] = env;
    Object.assign(secret, secretKeys);
  }

  if (pg && !opts.migrateImage)
    notes.push(
      `the migration Job and the apps' init containers run ${migrateImage}: build it from migrate.Dockerfile (it holds tm, taskmaster.yml and ${opts.migrationsPath}), push it where the cluster pulls from, and pass --migrate-image with its name`,
    );
  for (const app of apps)
    if (!app.image)
      notes.push(
        `${app.name}: needs an image (it has ${app.build ? `build: ${app.build}` : 'no image'}); the Deployment uses ${PLACEHOLDER}/${app.name}:latest`,
      );
  for (const app of apps)
    if (app.depends_on.length)
      notes.push(`${app.name}: depends_on has no Kubernetes equivalent; readiness probes and the migrations init container stand in for it`);
  if (config.docker.compose_file) notes.push('docker.compose_file is not read: the manifests come from taskmaster.yml');
  if (redis && redis.persistence === 'rdb') notes.push(`${redis.name}: rdb persistence is kept as redis-server flags; tune snapshots for production`);
  if (!opts.secrets) notes.push(`secret.yaml holds ${PLACEHOLDER} placeholders: fill them (or render with --with-secrets) before applying`);
  return { plain, secret, appEnv, migrateImage, notes };
}

/**
 * An app's `env:` entries: plain values as they are, a `${VAR}` alone as a `valueFrom`, text
 * around references with Kubernetes' `$(VAR)`. A referenced variable outside the contract may
 * be a secret, so it becomes a Secret key: `secretKeys` are the ones this app adds.
 */
function appEnvEntries(
  app: AppService,
  plain: Record<string, string>,
  secret: Record<string, string>,
  names: { configName: string; secretName: string; values?: Record<string, string> },
): { env: EnvVar[]; secretKeys: Record<string, string> } {
  const secretKeys: Record<string, string> = {};
  /** A `valueFrom` for VAR: from the ConfigMap, from the Secret, or a new Secret key. */
  const reference = (variable: string, fallback: string | undefined): Record<string, unknown> => {
    if (variable in plain) return { configMapKeyRef: { name: names.configName, key: variable } };
    if (!(variable in secret) && !(variable in secretKeys)) secretKeys[variable] = names.values?.[variable] ?? fallback ?? PLACEHOLDER;
    return { secretKeyRef: { name: names.secretName, key: variable } };
  };
  const env: EnvVar[] = app.env.PORT === undefined ? [{ name: 'PORT', value: String(app.port ?? 3000) }] : [];
  for (const key of Object.keys(app.env).sort()) {
    const source = app.envSource?.[key];
    const refs = source === undefined ? [] : [...source.matchAll(REF)].filter((m) => m[1]);
    if (refs.length === 0) {
      env.push({ name: key, value: app.env[key]!.split('$').join('$$') });
      continue;
    }
    for (const m of refs) reference(m[1]!, m[2]);
    if (refs.length === 1 && refs[0]![0] === source) env.push({ name: key, valueFrom: reference(refs[0]![1]!, refs[0]![2]) });
    // Kubernetes expands $(VAR) from envFrom and earlier entries; a literal $ is $$.
    else env.push({ name: key, value: source!.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|\$/g, (_m, v?: string) => (v ? `$(${v})` : '$$')) });
  }
  return { env, secretKeys };
}

/** Secrets (by the one rule: type or name), and URLs that usually carry a password. */
function belongsInSecret(key: string, spec: EnvVarSpec): boolean {
  return isSecret(key, spec) || spec.type === 'postgres-url' || key === 'DATABASE_URL' || key === 'DIRECT_URL';
}

function hasRef(text: string): boolean {
  return [...text.matchAll(REF)].some((m) => m[1]);
}

/** The env contract of taskmaster.yml as written, before interpolation. */
function writtenContract(source: string): Record<string, Record<string, unknown> | undefined> {
  const env = ((parse(source) ?? {}) as { env?: unknown }).env;
  return env && typeof env === 'object' && !Array.isArray(env) ? (env as Record<string, Record<string, unknown> | undefined>) : {};
}

function postgresManifests(pg: PostgresService, labels: Record<string, string>, envFrom: unknown[]): string {
  const probe = { exec: { command: ['sh', '-c', `pg_isready -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"`] } };
  return statefulSet(pg.name, labels, containerPort(pg)!, '5Gi', {
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

function redisManifests(redis: RedisService, labels: Record<string, string>, password: { name: string; key: string } | undefined): string {
  const persistence =
    redis.persistence === 'aof'
      ? ['--appendonly', 'yes', '--save', '']
      : redis.persistence === 'rdb'
        ? ['--appendonly', 'no', '--save', '60 1']
        : ['--appendonly', 'no', '--save', ''];
  // redis-cli exits 0 on an error reply (NOAUTH, LOADING): ready means it answered PONG;
  // alive means it answered at all.
  const ready = { exec: { command: ['sh', '-c', 'redis-cli ping | grep -q PONG'] } };
  const alive = { exec: { command: ['redis-cli', 'ping'] } };
  const fromSecret = password && { valueFrom: { secretKeyRef: password } };
  return statefulSet(redis.name, labels, containerPort(redis)!, '1Gi', {
    name: 'redis',
    image: redis.image,
    // Kubernetes expands $(REDIS_PASSWORD) in the command; redis-cli reads REDISCLI_AUTH.
    command: ['redis-server', '--dir', '/data', ...persistence, ...(password ? ['--requirepass', '$(REDIS_PASSWORD)'] : [])],
    ...(fromSecret
      ? {
          env: [
            { name: 'REDIS_PASSWORD', ...fromSecret },
            { name: 'REDISCLI_AUTH', ...fromSecret },
          ],
        }
      : {}),
    volumeMounts: [{ name: 'data', mountPath: '/data' }],
    readinessProbe: { ...ready, periodSeconds: 5, timeoutSeconds: 3 },
    livenessProbe: { ...alive, initialDelaySeconds: 15, periodSeconds: 10, timeoutSeconds: 5 },
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

function appManifests(app: AppService, labels: Record<string, string>, envFrom: unknown[], env: EnvVar[], init: Record<string, unknown> | undefined): string {
  const port = app.port ?? 3000;
  const path = app.health ? new URL(app.health).pathname : undefined;
  const probe = path ? { httpGet: { path, port } } : { tcpSocket: { port } };
  const live = path?.endsWith('/ready') ? { httpGet: { path: path.replace(/\/ready$/, '/live'), port } } : probe;
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
          securityContext: podSecurityContext(),
          ...(init ? { initContainers: [init] } : {}),
          containers: [
            {
              name: app.name,
              image: app.image ?? `${PLACEHOLDER}/${app.name}:latest`,
              ports: [{ name: 'http', containerPort: port }],
              envFrom,
              env,
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

function podSecurityContext(): Record<string, unknown> {
  return { runAsNonRoot: true, runAsUser: NODE_UID, runAsGroup: NODE_UID };
}

function securityContext(): Record<string, unknown> {
  return { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };
}

function sorted(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

function doc(o: unknown): string {
  // Shared objects (labels used as selectors) are written out again, not as YAML anchors.
  // YAML 1.1 rules quote yes/no/on/off, which kubectl's YAML reads as booleans.
  return stringify(o, { lineWidth: 0, aliasDuplicateObjects: false, version: '1.1' });
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
