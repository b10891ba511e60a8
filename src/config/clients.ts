import { KIND_NAMES, KINDS, kindOf } from '../catalog/index.js';
import type { Address } from '../catalog/types.js';
import type { Service } from './schema.js';
import { serviceUrl } from './services.js';

// How a person talks to a service: its kind's command-line client (src/catalog), and the
// variables that carry where it is and who to be. Credentials travel in the environment
// (PGPASSWORD, REDISCLI_AUTH, MYSQL_PWD), never as arguments, which `ps` shows to every user.

export type { Address };

interface Client {
  /** The program, as `tm shell` and `tm <program>` run it. */
  program: string;
  /** Arguments naming the server, for a client that reads no variable for it. */
  connect(at: Address): string[];
}

/** The client of a service's kind, or undefined when it has none. */
export function clientOf(svc: Service): Client | undefined {
  const { client } = kindOf(svc);
  if (!client) return undefined;
  return { program: client(svc, { host: svc.host, port: svc.port ?? 0 }).program, connect: (at) => client(svc, at).args };
}

/** The kinds that have a client (for help and errors). */
export function kindsWithClient(): string[] {
  return KIND_NAMES.filter((k) => KINDS[k].client !== undefined);
}

/**
 * The variables of a service's own clients (psql, pg_dump, redis-cli): where it is and the
 * credentials. Apps get their environment from app-env.ts instead.
 */
export function serviceVariables(svc: Service, at: Address): Record<string, string> {
  return kindOf(svc).client?.(svc, at).env ?? {};
}

/** The page a person opens in a browser for a service: an app's port, or its kind's web UI. */
export function webUrl(svc: Service): string | undefined {
  return svc.kind === 'app' ? serviceUrl(svc) : kindOf(svc).web?.(svc);
}
