import { kindOf } from '../catalog/index.js';
import type { ProbeSpec } from '../catalog/types.js';
import type { Service } from '../config/schema.js';
import { rabbitmqProbe } from './amqp.js';
import { commandProbe } from './command.js';
import { mailCatcherProbe } from './mail.js';
import { memcachedProbe } from './memcached.js';
import { loadMysql, mysqlProbe } from './mysql.js';
import { natsProbe } from './nats.js';
import { httpProbe, pgProbe, redisProbe, tcpProbe } from './probes.js';
import { clusterHealthProbe } from './search.js';
import type { Probe } from './wait-for.js';

// Each kind of the catalog names the protocol that tells whether it is usable; the probes of
// those protocols live beside this file.

/**
 * Loads the client libraries the probes of `services` need, so that a measured latency is
 * the server's answer and not the first import of pg.
 */
export async function loadProbeLibraries(services: Service[]): Promise<void> {
  const protocols = new Set(services.map((s) => kindOf(s).probe(s)?.protocol));
  await Promise.all([
    protocols.has('postgres') ? import('pg') : undefined,
    protocols.has('redis') ? import('./resp.js') : undefined,
    protocols.has('mysql') ? loadMysql() : undefined,
  ]);
}

/** The probe that tells whether a configured service is usable: the protocol its kind names. */
export function probeFor(svc: Service): Probe | undefined {
  const spec = kindOf(svc).probe(svc);
  return spec && protocolProbe(svc.name, spec);
}

/** The probe of one protocol, for a service called `name`. */
export function protocolProbe(name: string, spec: ProbeSpec): Probe {
  switch (spec.protocol) {
    case 'postgres':
      return pgProbe(name, spec);
    case 'redis':
      return redisProbe(name, spec);
    case 'amqp':
      return rabbitmqProbe(name, spec);
    case 'mysql':
      return mysqlProbe(name, spec);
    case 'memcached':
      return memcachedProbe(name, spec);
    case 'nats':
      return natsProbe(name, spec);
    case 'smtp':
      return mailCatcherProbe(name, spec);
    case 'cluster-health':
      return clusterHealthProbe(name, spec);
    case 'http':
      return httpProbe(name, spec.url);
    case 'tcp':
      return tcpProbe(name, spec.host, spec.port);
    case 'command':
      return commandProbe(name, { command: spec.command });
  }
}
