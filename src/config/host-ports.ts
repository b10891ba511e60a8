import type { Service } from './schema.js';

// Every port a service publishes on this machine, by the config key it comes from. Port
// allocation for parallel stacks works over this list, so a kind with several ports (an AMQP
// port and a management UI) gets each of them moved; the rest of tm reads the keys as usual.

/** One host port of a service: the key of services.<name> that holds it, and its number. */
export interface HostPort {
  key: string;
  port: number;
}

/** The host ports a service has, in a stable order (none for a job without a port). */
export function hostPorts(svc: Service): HostPort[] {
  return svc.port === undefined ? [] : [{ key: 'port', port: svc.port }];
}

/** The service with some of its host ports replaced (keys as `hostPorts` names them). */
export function withHostPorts<S extends Service>(svc: S, ports: Record<string, number>): S {
  return { ...svc, ...ports };
}
