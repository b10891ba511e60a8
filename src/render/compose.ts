import { join } from 'node:path/posix';
import { parse, stringify } from 'yaml';
import type { Config } from '../config/load.js';
import type { AppService, PostgresService, RedisService, Service } from '../config/schema.js';
import { fillYamlTemplate } from './template.js';

/** Compose project names allow only [a-z0-9_-]. */
export function composeProject(config: Pick<Config, 'projectId'>): string {
  return config.projectId.toLowerCase().replace(/[^a-z0-9_-]+/g, '-');
}

/** The variable compose reads a service's password from (never written into the file). */
export function passwordVariable(svc: Service): string {
  return `TM_${svc.name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_PASSWORD`;
}

/** Values for the compose process's environment: the passwords the file refers to. */
export function composeSecrets(services: Service[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of services) if ((s.kind === 'postgres' || s.kind === 'redis') && s.password) env[passwordVariable(s)] = s.password;
  return env;
}

const hostIp = (host: string) => (host === 'localhost' || host === '0.0.0.0' ? '127.0.0.1' : host);

function postgres(svc: PostgresService): unknown {
  return parse(
    fillYamlTemplate('compose/postgres.yml', {
      image: svc.image,
      user: svc.user,
      password: `\${${passwordVariable(svc)}}`,
      database: svc.database,
      port_mapping: `${hostIp(svc.host)}:${svc.port}:5432`,
      volume_mount: `${svc.name}-data:/var/lib/postgresql/data`,
      healthcheck: `pg_isready -h 127.0.0.1 -p 5432 -U ${svc.user} -d ${svc.database}`,
    }),
  );
}

function redis(svc: RedisService): unknown {
  const persistence = svc.persistence === 'aof' ? ['--appendonly', 'yes', '--save', ''] : svc.persistence === 'rdb' ? ['--appendonly', 'no', '--save', '60 1'] : ['--appendonly', 'no', '--save', ''];
  const auth = svc.password ? ['--requirepass', `\${${passwordVariable(svc)}}`] : [];
  return parse(
    fillYamlTemplate('compose/redis.yml', {
      image: svc.image,
      command: ['redis-server', '--protected-mode', 'no', '--dir', '/data', ...persistence, ...auth],
      port_mapping: `${hostIp(svc.host)}:${svc.port}:6379`,
      volume_mount: `${svc.name}-data:/data`,
      healthcheck: svc.password ? `redis-cli -a "$$${passwordVariable(svc)}" ping | grep -q PONG` : 'redis-cli ping | grep -q PONG',
    }),
  );
}

/** The variable compose reads an app's environment value from (values may hold secrets). */
export function appVariable(svc: Service, key: string): string {
  return `TM_${svc.name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_ENV_${key}`;
}

/**
 * An app service: built from the project (`build`) or an image, started once what it
 * depends on is healthy, its environment passed by variable so no value lands in the file.
 */
function app(svc: AppService, envKeys: string[], buildBase: string): unknown {
  const out: Record<string, unknown> = {};
  if (svc.build) out.build = { context: join(buildBase, svc.build) };
  else if (svc.image) out.image = svc.image;
  if (svc.port !== undefined) out.ports = [`${hostIp(svc.host)}:${svc.port}:${svc.port}`];
  if (envKeys.length > 0) out.environment = Object.fromEntries(envKeys.map((k) => [k, `\${${appVariable(svc, k)}}`]));
  if (svc.depends_on.length > 0) out.depends_on = Object.fromEntries(svc.depends_on.map((d) => [d, { condition: 'service_healthy' }]));
  return out;
}

export interface ComposeOptions {
  /** Per app service, the names of its environment variables (values go by variable). */
  appEnvKeys?: Record<string, string[]>;
  /** Where build contexts are relative to: the compose file's folder seen from the project. */
  buildBase?: string;
}

/**
 * The compose file of the model: Postgres and Redis services with named volumes and
 * healthchecks, app services, ports bound to the configured host. Pure: the same model
 * gives the same bytes.
 */
export function renderCompose(config: Config, services: Service[] = config.services, opts: ComposeOptions = {}): string {
  const out: { name: string; services: Record<string, unknown>; volumes: Record<string, Record<string, never>> } = { name: composeProject(config), services: {}, volumes: {} };
  for (const svc of services) {
    if (svc.kind === 'app') {
      if (svc.build || svc.image) out.services[svc.name] = app(svc, opts.appEnvKeys?.[svc.name] ?? [], opts.buildBase ?? '.');
      continue;
    }
    out.services[svc.name] = svc.kind === 'postgres' ? postgres(svc) : redis(svc);
    out.volumes[`${svc.name}-data`] = {};
  }
  // YAML 1.1 rules quote yes/no/on/off, which some compose parsers read as booleans.
  return `# Rendered by tm from taskmaster.yml; do not edit (it is rewritten on every tm up).\n${stringify(out, { lineWidth: 0, version: '1.1' })}`;
}
