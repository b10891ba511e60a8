import type { Service } from './schema.js';
import { serviceUrl } from './services.js';

// How a person talks to a service: its command-line client, and the variables that carry
// where it is and who to be. Credentials travel in the environment (PGPASSWORD,
// REDISCLI_AUTH), never as arguments, which `ps` shows to every user of the machine.
// One entry per kind with a client; a new kind adds its line.

/** Where a command reaches the service from where it runs: this machine, or inside its container. */
export interface Address {
  host: string;
  port: number;
}

interface Client {
  /** The program, as `tm shell` and `tm <program>` run it. */
  program: string;
  /** Arguments naming the server, for a client that reads no variable for it. */
  connect(at: Address): string[];
}

const CLIENTS: Partial<Record<Service['kind'], Client>> = {
  postgres: { program: 'psql', connect: () => [] },
  redis: { program: 'redis-cli', connect: (at) => ['-h', at.host, '-p', String(at.port)] },
};

/** The client of a service's kind, or undefined when it has none. */
export function clientOf(svc: Service): Client | undefined {
  return CLIENTS[svc.kind];
}

/** The kinds that have a client (for help and errors). */
export function kindsWithClient(): string[] {
  return Object.keys(CLIENTS);
}

/**
 * The variables of a database service's own clients (psql, pg_dump, redis-cli): where it is
 * and the credentials. Apps get their environment from app-env.ts instead.
 */
export function serviceVariables(svc: Service, at: Address): Record<string, string> {
  switch (svc.kind) {
    case 'postgres':
      return { PGHOST: at.host, PGPORT: String(at.port), PGUSER: svc.user, PGDATABASE: svc.database, PGPASSWORD: svc.password };
    case 'redis':
      return svc.password ? { REDISCLI_AUTH: svc.password } : {};
    case 'app':
      return {};
  }
}

/** The page a person opens in a browser for a service: an app's port (later, kinds' web UIs). */
export function webUrl(svc: Service): string | undefined {
  return svc.kind === 'app' ? serviceUrl(svc) : undefined;
}
