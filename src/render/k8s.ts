import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Config } from '../config/load.js';
import { hostPorts, kindOf, secretVariable } from '../catalog/index.js';
import { type ContainerSpec, holdsSecret, SECRET_MARKER, secret as secretMarker, wholeSecret } from '../catalog/types.js';
import type { AppService, EnvVarSpec, Service } from '../config/schema.js';
import { networkVariables, toNetworkUrl } from '../config/services.js';
import { isSecret } from '../env/secrets.js';
import { DEFAULT_BASE_IMAGE, fillTextTemplate, tmPackageSpec } from './template.js';
import { openMigrations } from '../db/migrations/layouts.js';

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
  /** The project's files that services mount (Postgres' init files), by project-relative path: they go into ConfigMaps. */
  mounted?: Record<string, string>;
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
export async function readK8sInputs(config: Config): Promise<Pick<K8sOptions, 'source' | 'migrationsHash' | 'migrationsPath' | 'migrationsExist' | 'mounted'>> {
  const migrations = await openMigrations(config);
  const files = await migrations.files();
  const mounted: Record<string, string> = {};
  for (const svc of config.services) {
    if (svc.kind === 'app') continue;
    for (const m of kindOf(svc).container?.(svc, { services: config.services }).mounts ?? [])
      mounted[m.source] = await readFile(join(config.root, m.source), 'utf8');
  }
  return {
    mounted,
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
 * A kustomize base from the model: each service as its kind's container (a StatefulSet with a
 * volume claim when it keeps data, else a Deployment), a Deployment per app, a ConfigMap and
 * a Secret from the env contract, and a migration Job that the apps' init containers wait
 * for. Deterministic: the same model gives the same files. No value from `.env` is written
 * unless `secrets` is given: interpolated values become references into the ConfigMap or the
 * Secret.
 */
export function renderK8s(whole: Config, opts: K8sOptions): K8sBase {
  // A test database is the developer's machine's: the cluster gets none, and no DATABASE_TEST_URL.
  const tests = whole.services.filter((s) => s.kind === 'postgres' && s.testOf);
  const config = tests.length > 0 ? { ...whole, services: whole.services.filter((s) => !tests.includes(s)) } : whole;
  const { plain, secret, appEnv, migrateImage, notes } = k8sValues(config, opts);
  for (const t of tests) notes.push(`${t.name}: the test database runs on this machine only (tm up); the cluster gets none`);
  const files: Record<string, string> = {};
  const name = config.name;
  const configName = `${name}-config`;
  const secretName = `${name}-secret`;
  const labels = (component: string) => ({ 'app.kubernetes.io/name': component, 'app.kubernetes.io/part-of': name });
  const pg = config.services.find((s) => s.kind === 'postgres');

  const envFrom = [{ configMapRef: { name: configName } }, { secretRef: { name: secretName } }];
  // A service gets its own variables only (never the env contract, which is the apps').
  for (const svc of config.services) {
    if (svc.kind === 'app') continue;
    files[`${svc.name}.yaml`] = serviceManifests(config, svc, labels(svc.name), secretName, opts);
  }

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
  const pg = config.services.find((s) => s.kind === 'postgres');
  const redis = config.services.find((s) => s.kind === 'redis');
  const apps = config.services.filter((s): s is AppService => s.kind === 'app');
  const rawEnv = writtenContract(opts.source);
  const fill = (key: string) => opts.secrets?.[key] ?? PLACEHOLDER;

  // What the services give the apps, in the cluster: service names, container ports, and their
  // secrets (from .env with `secrets`, else placeholders); a value holding one is a secret.
  const exported = networkVariables(config.services, (svc, field, inUrl) => {
    const value = opts.secrets ? fieldValue(svc, field) : PLACEHOLDER;
    return inUrl ? encodeURIComponent(value) : value;
  });
  const bearing = new Set(
    [...networkVariables(config.services, (_svc, field) => secretMarker(field)).entries()].filter(([, v]) => holdsSecret(v.value)).map(([k]) => k),
  );
  const exportedValue = (key: string) => {
    const e = exported.get(key)!;
    // A URL of .env (--with-secrets) keeps its credentials, pointed into the cluster.
    return opts.secrets?.[key] && URL.canParse(opts.secrets[key]) ? toNetworkUrl(opts.secrets[key], e.service) : e.value;
  };

  // ConfigMap for plain values, Secret for secret ones (and URLs that carry a password).
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [key, spec] of Object.entries(config.env)) {
    if (exported.has(key)) continue;
    if (belongsInSecret(key, spec)) secret[key] = fill(key);
    else {
      const rawSpec = rawEnv[key];
      const value = spec.default ?? spec.example ?? '';
      const interpolated = [rawSpec?.default, rawSpec?.example].some((v) => typeof v === 'string' && hasRef(v));
      if (interpolated) notes.push(`${key}: its default comes from \${...} on this machine; config.yaml leaves it empty, set it there`);
      plain[key] = interpolated ? '' : value;
    }
  }
  for (const key of exported.keys()) {
    const inSecret = bearing.has(key) || key === 'DATABASE_URL' || (config.env[key] && belongsInSecret(key, config.env[key]));
    (inSecret ? secret : plain)[key] = exportedValue(key);
  }
  // Each service's own secrets, for its container (and the apps that need them by name).
  for (const svc of config.services) {
    for (const field of kindOf(svc).secrets) {
      if (fieldValue(svc, field) === '') continue;
      secret[secretVariable(svc, field)] = opts.secrets ? fieldValue(svc, field) : PLACEHOLDER;
    }
  }

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
      `the migration Job and the apps' init containers run ${migrateImage}: build it from migrate.Dockerfile (it holds tm, ` +
        `taskmaster.yml and ${opts.migrationsPath}), push it where the cluster pulls from, and pass --migrate-image with its name`,
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
  if (redis?.kind === 'redis' && redis.persistence === 'rdb')
    notes.push(`${redis.name}: rdb persistence is kept as redis-server flags; tune snapshots for production`);
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

/** A service's secret field's value ('' when unset). */
function fieldValue(svc: Service, field: string): string {
  const value = (svc as unknown as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : '';
}

/** Text for a container's command or env value: `$` kept literal (`$$`), a secret as Kubernetes' `$(VAR)`. */
function expand(svc: Service, text: string): string {
  return text.replace(/\$/g, '$$$$').replace(SECRET_MARKER, (_m, field: string) => `$(${secretVariable(svc, field)})`);
}

/** The secret fields a container's command and variables refer to. */
function secretFields(spec: ContainerSpec): string[] {
  const texts = [...(spec.command ?? []), ...Object.values(spec.env)];
  return [...new Set(texts.flatMap((t) => [...t.matchAll(SECRET_MARKER)].map((m) => m[1]!)))];
}

/**
 * A service's manifests from its kind's container: its Service; a StatefulSet with a volume
 * claim when it keeps data, else a Deployment; its config files as a ConfigMap, or a Secret
 * when they hold one of its secrets (filled like the project's Secret).
 */
function serviceManifests(config: Config, svc: Service, labels: Record<string, string>, secretName: string, opts: K8sOptions): string {
  const values = opts.secrets;
  const kind = kindOf(svc);
  const base = kind.container!(svc, { services: config.services });
  // The project's files are not in the cluster: they go into the pod as config files.
  const spec = { ...base, files: [...(base.files ?? []), ...podFiles(svc, base, opts.mounted ?? {})] };
  const fromSecret = (field: string) => ({ valueFrom: { secretKeyRef: { name: secretName, key: secretVariable(svc, field) } } });
  // The secrets its command refers to first, so Kubernetes can expand $(VAR) in what follows.
  const env: EnvVar[] = [];
  for (const field of secretFields(spec))
    if ((spec.command ?? []).some((a) => a.includes(secretMarker(field)))) env.push({ name: secretVariable(svc, field), ...fromSecret(field) });
  for (const [name, value] of Object.entries(spec.env)) {
    const whole = wholeSecret(value);
    env.push(whole ? { name, ...fromSecret(whole) } : { name, value: expand(svc, value) });
  }
  for (const [name, value] of Object.entries(spec.podEnv ?? {})) env.push({ name, value });
  const bindings = hostPorts(svc, 'docker');
  const main = bindings[0];
  const probe = (check: ContainerSpec['check']): Record<string, unknown> | undefined => {
    if (Array.isArray(check)) return { exec: { command: check } };
    if (check && main) return { httpGet: { path: check.http, port: main.container } };
    return main ? { tcpSocket: { port: main.container } } : undefined;
  };
  const ready = probe(spec.check);
  const live = spec.live ? probe(spec.live) : ready;
  const mounts: Record<string, unknown>[] = [];
  const volumes: Record<string, unknown>[] = [];
  const docs: unknown[] = [];
  if (spec.volume) mounts.push({ name: 'data', mountPath: spec.volume });
  if (spec.files?.length) {
    // A file holding a secret goes into a Secret of its own, with the value or a placeholder.
    const held = spec.files.some((f) => holdsSecret(f.content));
    const filesName = `${svc.name}-files`;
    const fill = (text: string) => text.replace(SECRET_MARKER, (_m, field: string) => (values ? fieldValue(svc, field) : PLACEHOLDER));
    const data = Object.fromEntries(spec.files.map((f, i) => [fileKey(f.path, i), fill(f.content)]));
    docs.push(
      held
        ? { apiVersion: 'v1', kind: 'Secret', metadata: { name: filesName, labels }, type: 'Opaque', stringData: data }
        : { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: filesName, labels }, data },
    );
    volumes.push({ name: 'files', ...(held ? { secret: { secretName: filesName } } : { configMap: { name: filesName } }) });
    for (const [i, f] of spec.files.entries()) mounts.push({ name: 'files', mountPath: f.path, subPath: fileKey(f.path, i), readOnly: true });
  }
  const container: Record<string, unknown> = {
    name: kind.name,
    image: spec.image,
    ...(spec.command ? { command: spec.command.map((a) => expand(svc, a)) } : {}),
    ...(spec.args ? { args: spec.args.map((a) => expand(svc, a)) } : {}),
    ...(env.length ? { env } : {}),
    ports: bindings.map((b) => ({ name: b.name, containerPort: b.container })),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
    ...(ready ? { readinessProbe: { ...ready, periodSeconds: 5, timeoutSeconds: 3 } } : {}),
    ...(live ? { livenessProbe: { ...live, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5 } } : {}),
    ...(spec.resources ? { resources: { requests: spec.resources } } : {}),
  };
  const podSpec = { ...(spec.hostname ? { hostname: spec.hostname } : {}), containers: [container], ...(volumes.length ? { volumes } : {}) };
  const workload = spec.volume
    ? {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: svc.name, labels },
        spec: {
          serviceName: svc.name,
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: podSpec },
          volumeClaimTemplates: [
            { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: spec.storage ?? '1Gi' } } } },
          ],
        },
      }
    : {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: svc.name, labels },
        spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec } },
      };
  const service =
    bindings.length > 0
      ? [
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: svc.name, labels },
            spec: { selector: labels, ports: bindings.map((b) => ({ name: b.name, port: b.container, targetPort: b.container })) },
          },
        ]
      : [];
  return docsOf(...service, workload, ...docs);
}

/**
 * A container's mounted project files with their text, and for Postgres a last init script
 * that makes its extra databases and extensions: in the cluster no `tm up` makes them, and
 * the image runs its init folder on a new volume only, before anything connects.
 */
function podFiles(svc: Service, spec: ContainerSpec, mounted: Record<string, string>): { path: string; content: string }[] {
  const files = (spec.mounts ?? []).map((m) => ({ path: m.target, content: mounted[m.source] ?? '' }));
  if (svc.kind !== 'postgres' || (svc.databases.length === 0 && svc.extensions.length === 0)) return files;
  const id = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const sql = [
    `-- Rendered by tm render k8s: what tm up makes on this machine (services.${svc.name}.databases and .extensions).`,
    ...svc.databases.map((d) => `CREATE DATABASE ${id(d)} OWNER ${id(svc.user)};`),
    ...svc.extensions.map((e) => `CREATE EXTENSION IF NOT EXISTS ${id(e)} CASCADE;`),
  ];
  return [...files, { path: `/docker-entrypoint-initdb.d/${String(files.length + 1).padStart(3, '0')}-taskmaster-extras.sql`, content: `${sql.join('\n')}\n` }];
}

/** A config file's key in its ConfigMap or Secret: its file name (keys allow letters, digits, `-`, `_`, `.`). */
function fileKey(path: string, i: number): string {
  const name = path
    .split('/')
    .pop()!
    .replace(/[^A-Za-z0-9._-]+/g, '-');
  return name || `file-${i}`;
}

function appManifests(app: AppService, labels: Record<string, string>, envFrom: unknown[], env: EnvVar[], init: Record<string, unknown> | undefined): string {
  const port = app.port ?? 3000;
  const path = app.health ? new URL(app.health).pathname : undefined;
  const probe = path ? { httpGet: { path, port } } : { tcpSocket: { port } };
  const live = path?.endsWith('/ready') ? { httpGet: { path: path.replace(/\/ready$/, '/live'), port } } : probe;
  return docsOf(service(app.name, labels, port), {
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

function docsOf(...os: unknown[]): string {
  return os.map(doc).join('---\n');
}

/** sha256 over the migration files (names and contents) that name the Job. */
export function hashFiles(files: { path: string; checksum: string }[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.path}:${f.checksum}\n`);
  return h.digest('hex');
}
