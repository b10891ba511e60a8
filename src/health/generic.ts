import { commandProbe, type CommandCheck } from './command.js';
import type { Endpoint } from './conversation.js';
import { httpProbe, tcpProbe } from './probes.js';
import type { Probe } from './wait-for.js';

/**
 * How a service of any image says it is ready: a port that accepts (only where nothing better
 * exists: Docker's port proxy accepts before the container listens), an HTTP URL answering
 * 2xx, or a command exiting 0.
 */
export type GenericCheck = { tcp: Endpoint } | { http: string } | CommandCheck;

export function genericProbe(name: string, check: GenericCheck): Probe {
  if ('tcp' in check) return tcpProbe(name, check.tcp.host, check.tcp.port);
  if ('http' in check) return httpProbe(name, check.http);
  return commandProbe(name, check);
}
