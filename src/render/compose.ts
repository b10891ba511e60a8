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

/** `${TM_POSTGRES_PASSWORD}` for tm's own file, `${POSTGRES_PASSWORD}` (from .env) for the repository's. */
function passwordRef(svc: Service, variables: 'tm' | 'dotenv'): string {
  return variables === 'tm' ? `\${${passwordVariable(svc)}}` : `\${${svc.name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_PASSWORD}`;
}

/** An app's value: by TM_* variable, or for the repository's file from .env, URLs rebuilt for the network. */
function appValue(config: Config, svc: AppService, key: string, variables: 'tm' | 'dotenv'): string {
  if (variables === 'tm') return `\${${appVariable(svc, key)}}`;
  const pg = config.services.find((s): s is PostgresService => s.kind === 'postgres');
  const redis = config.services.find((s): s is RedisService => s.kind === 'redis');
  if (key === 'DATABASE_URL' && pg) return `postgres://${pg.user}:${passwordRef(pg, variables)}@${pg.name}:5432/${pg.database}`;
  if (key === 'REDIS_URL' && redis) return `redis://${redis.password ? `:${passwordRef(redis, variables)}@` : ''}${redis.name}:6379`;
  if (key === 'PORT' && svc.port !== undefined) return String(svc.port);
  return `\${${key}}`;
}

function postgres(svc: PostgresService, variables: 'tm' | 'dotenv'): unknown {
  return parse(
    fillYamlTemplate('compose/postgres.yml', {
      image: svc.image,
      user: svc.user,
      password: passwordRef(svc, variables),
      database: svc.database,
      port_mapping: `${hostIp(svc.host)}:${svc.port}:5432`,
      volume_mount: `${svc.name}-data:/var/lib/postgresql/data`,
      healthcheck: `pg_isready -h 127.0.0.1 -p 5432 -U ${svc.user} -d ${svc.database}`,
    }),
  );
}

function redis(svc: RedisService, variables: 'tm' | 'dotenv'): Record<string, unknown> {
  const persistence = svc.persistence === 'aof' ? ['--appendonly', 'yes', '--save', ''] : svc.persistence === 'rdb' ? ['--appendonly', 'no', '--save', '60 1'] : ['--appendonly', 'no', '--save', ''];
  const auth = svc.password ? ['--requirepass', passwordRef(svc, variables)] : [];
  const service = parse(
    fillYamlTemplate('compose/redis.yml', {
      image: svc.image,
      command: ['redis-server', '--protected-mode', 'no', '--dir', '/data', ...persistence, ...auth],
      port_mapping: `${hostIp(svc.host)}:${svc.port}:6379`,
      volume_mount: `${svc.name}-data:/data`,
      healthcheck: 'redis-cli ping | grep -q PONG',
    }),
  ) as Record<string, unknown>;
  // redis-cli reads the password from REDISCLI_AUTH, so the healthcheck needs no argument.
  if (svc.password) return { ...service, environment: { REDISCLI_AUTH: passwordRef(svc, variables) } };
  return service;
}

/** The variable compose reads an app's environment value from (values may hold secrets). */
export function appVariable(svc: Service, key: string): string {
  return `TM_${svc.name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_ENV_${key}`;
}

/**
 * An app service: built from the project (`build`) or an image, started once what it
 * depends on is healthy, its environment passed by variable so no value lands in the file.
 */
function app(svc: AppService, envKeys: string[], buildBase: string, variable: (key: string) => string): unknown {
  const out: Record<string, unknown> = {};
  if (svc.build) out.build = { context: join(buildBase, svc.build) };
  else if (svc.image) out.image = svc.image;
  if (svc.port !== undefined) out.ports = [`${hostIp(svc.host)}:${svc.port}:${svc.port}`];
  if (envKeys.length > 0) out.environment = Object.fromEntries(envKeys.map((k) => [k, variable(k)]));
  if (svc.depends_on.length > 0) out.depends_on = Object.fromEntries(svc.depends_on.map((d) => [d, { condition: 'service_healthy' }]));
  return out;
}

export interface ComposeOptions {
  /** `tm`: TM_* variables handed to compose by tm; `dotenv`: the project's own .env names. */
  variables?: 'tm' | 'dotenv';
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
      if (svc.build || svc.image) out.services[svc.name] = app(svc, opts.appEnvKeys?.[svc.name] ?? [], opts.buildBase ?? '.', (k) => appValue(config, svc, k, opts.variables ?? 'tm'));
      continue;
    }
    out.services[svc.name] = svc.kind === 'postgres' ? postgres(svc, opts.variables ?? 'tm') : redis(svc, opts.variables ?? 'tm');
    out.volumes[`${svc.name}-data`] = {};
  }
  // YAML 1.1 rules quote yes/no/on/off, which some compose parsers read as booleans.
  const header = (opts.variables ?? 'tm') === 'tm' ? '# Rendered by tm from taskmaster.yml; do not edit (it is rewritten on every tm up).' : '# Rendered by tm render compose from taskmaster.yml; values come from .env.';
  return `${header}\n${stringify(out, { lineWidth: 0, version: '1.1' })}`;
}
