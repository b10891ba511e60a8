import { hostPorts, KINDS, kindOf, reachFromHost } from '../catalog/index.js';
import { networkReach } from '../catalog/reach.js';
import { EXIT, TmError } from '../errors.js';
import type { Config } from './load.js';
import type { Service } from './schema.js';

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

export { databasePath } from '../catalog/postgres.js';

/** The URL an app uses to reach a service; the password is shown only when asked. */
export function serviceUrl(svc: Service, reveal = false): string | undefined {
  return kindOf(svc).url(svc, reachFromHost(svc, reveal));
}

/**
 * The variables the project's services give the apps (DATABASE_URL, REDIS_URL, AMQP_URL...),
 * reached from this machine, with each one's service. When two services give one variable,
 * the first in the config gives it.
 */
export function exportedVariables(services: Service[], reveal = false): Map<string, { service: Service; value: string }> {
  const out = new Map<string, { service: Service; value: string }>();
  for (const svc of services) {
    for (const [key, value] of Object.entries(kindOf(svc).exports(svc, reachFromHost(svc, reveal), { services }))) {
      if (!out.has(key)) out.set(key, { service: svc, value });
    }
  }
  return out;
}

/**
 * The same variables inside the compose network or the cluster: service names and container
 * ports, secrets as `ref` gives them (a `${VAR}` reference, a placeholder, a value).
 */
export function networkVariables(
  services: Service[],
  ref: (svc: Service, field: string, inUrl: boolean) => string,
): Map<string, { service: Service; value: string }> {
  const out = new Map<string, { service: Service; value: string }>();
  for (const svc of services) {
    const at = networkReach(svc, hostPorts(svc), (field, inUrl) => ref(svc, field, inUrl));
    for (const [key, value] of Object.entries(kindOf(svc).exports(svc, at, { services }))) if (!out.has(key)) out.set(key, { service: svc, value });
  }
  return out;
}

/** The port a service listens on inside its container: its kind's for its main port (an app's own). */
export function containerPort(svc: Service): number | undefined {
  return hostPorts(svc)[0]?.container;
}

/** The port a URL of this scheme means when it names none. */
export function defaultPort(protocol: string): string {
  for (const kind of Object.values(KINDS)) {
    const port = kind.schemes?.[protocol];
    if (port !== undefined) return String(port);
  }
  return protocol === 'https:' ? '443' : '80';
}

/**
 * A service's URL inside the compose network or the cluster: the service's name and its
 * container's port, with `password` as given (a `${VAR}` reference, a placeholder, a value).
 */
export function inNetworkUrl(svc: Service, password: string): string | undefined {
  return kindOf(svc).url(
    svc,
    networkReach(svc, hostPorts(svc), () => password),
  );
}

/** The service a URL on this machine points at, found by its port (`127.0.0.1:55432` -> postgres). */
export function localService(services: Service[], value: string): Service | undefined {
  const url = URL.parse(value);
  if (!url || !['127.0.0.1', 'localhost', '0.0.0.0', '[::1]'].includes(url.hostname)) return undefined;
  const port = Number(url.port || defaultPort(url.protocol));
  return services.find((s) => hostPorts(s, 'docker').some((b) => b.port === port));
}

/**
 * The one rewrite of a URL for use inside the compose network or the cluster: its host
 * becomes the service's name and its port the container's, the rest stays
 * (`postgres://u:p@127.0.0.1:55432/db` -> `postgres://u:p@postgres:5432/db`). Not a URL: unchanged.
 */
export function toNetworkUrl(value: string, svc: Service): string {
  const url = URL.parse(value);
  if (!url) return value;
  const port = Number(url.port || defaultPort(url.protocol));
  const binding = hostPorts(svc, 'docker').find((b) => b.port === port) ?? hostPorts(svc)[0];
  url.hostname = svc.name;
  if (binding) url.port = String(binding.container);
  return url.toString();
}
