import type { Service } from './schema.js';

// Every port a service publishes on this machine, by the config key it comes from. Port
// allocation for parallel stacks works over this list, so a kind with several ports (an AMQP
// port and a management UI) gets each of them moved; the rest of tm reads the keys as usual.

/** The host ports a service has, by the key of services.<name> that holds each: its kind's. */
export { hostPorts } from '../catalog/index.js';

/** The service with some of its host ports replaced (keys as `hostPorts` names them). */
export function withHostPorts<S extends Service>(svc: S, ports: Record<string, number>): S {
  return { ...svc, ...ports };
}
