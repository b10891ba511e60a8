import { EXIT, TmError } from '../errors.js';
import type { Config } from './load.js';
import type { PostgresService, RedisService, Service } from './schema.js';

/** The services named on the command line (all when none), in config order. */
export function pickServices(config: Config, names: string[]): Service[] {
  const unknown = names.filter((n) => !config.services.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new TmError('TM_USAGE', `no service named ${unknown.join(', ')}`, {
      exit: EXIT.usage,
      hint: `services in ${config.name}: ${config.services.map((s) => s.name).join(', ') || '(none)'}`,
    });
  }
  return names.length === 0 ? config.services : config.services.filter((s) => names.includes(s.name));
}

/** The URL an app uses to reach a service; the password is shown only when asked. */
/**
 * A database name as a URL path, for pg's parser, which reads it back with decodeURI: the
 * characters decodeURI leaves encoded (`;/:@&=+$,`) stay as they are. `?` and `#` cannot be
 * written at all; the config refuses database names with them.
 */
export function databasePath(name: string): string {
  return encodeURI(name);
}

export function serviceUrl(svc: Service, reveal = false): string | undefined {
  const host = svc.host === '0.0.0.0' ? '127.0.0.1' : svc.host;
  switch (svc.kind) {
    case 'postgres': {
      const pw = svc.password ? `:${reveal ? encodeURIComponent(svc.password) : '****'}` : '';
      return `postgres://${encodeURIComponent(svc.user)}${pw}@${host}:${svc.port}/${databasePath(svc.database)}`;
    }
    case 'redis':
      return `redis://${svc.password ? `:${reveal ? encodeURIComponent(svc.password) : '****'}@` : ''}${host}:${svc.port}`;
    case 'app':
      return svc.port !== undefined ? `http://${host === '127.0.0.1' ? 'localhost' : host}:${svc.port}` : undefined;
  }
}

/** Where the Postgres and Redis images listen inside their containers (and pods). */
const CONTAINER_PORTS = { postgres: 5432, redis: 6379 } as const;

/** The port a service listens on inside its container: the image's for databases, its own for an app. */
export function containerPort(svc: Service): number | undefined {
  return svc.kind === 'app' ? svc.port : CONTAINER_PORTS[svc.kind];
}

/** The port a URL of this scheme means when it names none. */
export function defaultPort(protocol: string): string {
  if (protocol.startsWith('postgres')) return String(CONTAINER_PORTS.postgres);
  if (protocol.startsWith('redis')) return String(CONTAINER_PORTS.redis);
  return protocol === 'https:' ? '443' : '80';
}

/**
 * A service's URL inside the compose network or the cluster: the service's name and its
 * container's port, with `password` as given (a `${VAR}` reference, a placeholder, a value).
 */
export function inNetworkUrl(svc: PostgresService | RedisService, password: string): string {
  const at = `${svc.name}:${containerPort(svc)}`;
  if (svc.kind === 'postgres') return `postgres://${encodeURIComponent(svc.user)}:${password}@${at}/${databasePath(svc.database)}`;
  return `redis://${svc.password ? `:${password}@` : ''}${at}`;
}

/** The service a URL on this machine points at, found by its port (`127.0.0.1:55432` -> postgres). */
export function localService(services: Service[], value: string): Service | undefined {
  const url = URL.parse(value);
  if (!url || !['127.0.0.1', 'localhost', '0.0.0.0', '[::1]'].includes(url.hostname)) return undefined;
  const port = url.port || defaultPort(url.protocol);
  return services.find((s) => s.port !== undefined && String(s.port) === port);
}

/**
 * The one rewrite of a URL for use inside the compose network or the cluster: its host
 * becomes the service's name and its port the container's, the rest stays
 * (`postgres://u:p@127.0.0.1:55432/db` -> `postgres://u:p@postgres:5432/db`). Not a URL: unchanged.
 */
export function toNetworkUrl(value: string, svc: Service): string {
  const url = URL.parse(value);
  if (!url) return value;
  url.hostname = svc.name;
  url.port = String(containerPort(svc));
  return url.toString();
}
