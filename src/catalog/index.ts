import { type AppService, app } from './app.js';
import { type ElasticsearchService, elasticsearch } from './elasticsearch.js';
import { type GenericService, generic } from './generic.js';
import { type MailpitService, mailpit } from './mailpit.js';
import { type MariadbService, mariadb } from './mariadb.js';
import { type MemcachedService, memcached } from './memcached.js';
import { type MinioService, minio } from './minio.js';
import { type MysqlService, mysql } from './mysql.js';
import { type NatsService, nats } from './nats.js';
import { type OpensearchService, opensearch } from './opensearch.js';
import { type PostgresService, postgres } from './postgres.js';
import { type PrometheusService, prometheus } from './prometheus.js';
import { hostReach } from './reach.js';
import { type RabbitmqService, rabbitmq } from './rabbitmq.js';
import { type RedisService, redis } from './redis.js';
import type { Kind, PortBinding, Reach } from './types.js';

// The service catalog: every kind tm knows, by its `kind:` name. Whoever needs something
// about a service (its schema, ports, URLs, probe, native launch, container) asks its kind.

export type {
  AppService,
  ElasticsearchService,
  GenericService,
  MailpitService,
  MariadbService,
  MemcachedService,
  MinioService,
  MysqlService,
  NatsService,
  OpensearchService,
  PostgresService,
  PrometheusService,
  RabbitmqService,
  RedisService,
};

/** A validated service of any kind. */
export type Service =
  | PostgresService
  | RedisService
  | AppService
  | RabbitmqService
  | MariadbService
  | MysqlService
  | MemcachedService
  | NatsService
  | MailpitService
  | MinioService
  | ElasticsearchService
  | OpensearchService
  | PrometheusService
  | GenericService;

export type ServiceKind = Service['kind'];

/** Every kind, by name: the order tm lists them in. */
export const KINDS: { [K in ServiceKind]: Kind<Extract<Service, { kind: K }>> } = {
  postgres,
  redis,
  rabbitmq,
  mariadb,
  mysql,
  memcached,
  nats,
  mailpit,
  minio,
  elasticsearch,
  opensearch,
  prometheus,
  generic,
  app,
};

export const KIND_NAMES = Object.keys(KINDS) as ServiceKind[];

/** The kind of a validated service. */
export function kindOf<S extends Service>(svc: S): Kind<S> {
  return KINDS[svc.kind] as unknown as Kind<S>;
}

/**
 * Which kind a service of taskmaster.yml is: its `kind:`, else its name when that is a
 * kind's (`postgres:`, `rabbitmq:`), else an app. An unknown `kind:` is undefined.
 */
export function detectKind(name: string, raw: unknown): ServiceKind | undefined {
  const kind = raw && typeof raw === 'object' ? (raw as { kind?: unknown }).kind : undefined;
  if (kind !== undefined) return typeof kind === 'string' && kind in KINDS ? (kind as ServiceKind) : undefined;
  // `generic` needs its image named and `app` is the default: neither is implied by a name.
  return name in KINDS && name !== 'generic' ? (name as ServiceKind) : 'app';
}

/**
 * The one list of a service's ports on this machine, by name, the main one first: what port
 * checks, clash detection, compose's mappings and the native launch read. `runtime: 'docker'`
 * leaves out what only local binaries use.
 */
export function hostPorts(svc: Service, runtime?: 'native' | 'docker'): PortBinding[] {
  const all = kindOf(svc).ports(svc);
  return runtime === 'docker' ? all.filter((b) => !b.nativeOnly) : all;
}

/** The secret values of a service (passwords, tokens), for masking. */
export function secretsOf(svc: Service): string[] {
  const values = svc as unknown as Record<string, unknown>;
  return kindOf(svc)
    .secrets.map((field) => values[field])
    .filter((v): v is string => typeof v === 'string' && v !== '');
}

/** A service reached from this machine (see reach.ts). */
export function reachFromHost(svc: Service, reveal: boolean): Reach {
  return hostReach(svc, hostPorts(svc), reveal);
}

/** A service's name as part of a variable's: `my-redis` -> `MY_REDIS`. */
export function variableName(svc: { name: string }): string {
  return svc.name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/**
 * `<NAME>_<FIELD>` (`POSTGRES_PASSWORD`, `MARIADB_ROOT_PASSWORD`): where a service's secret is
 * kept in `.env` and in the Kubernetes Secret.
 */
export function secretVariable(svc: { name: string; secretsOf?: string }, field: string): string {
  return `${variableName({ name: svc.secretsOf ?? svc.name })}_${field.toUpperCase()}`;
}
