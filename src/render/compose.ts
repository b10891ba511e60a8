import { parse, stringify } from 'yaml';
import type { Config } from '../config/load.js';
import type { PostgresService, RedisService, Service } from '../config/schema.js';
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

function postgres(svc: PostgresService): unknown {
  return parse(
    fillYamlTemplate('compose/postgres.yml', {
      image: svc.image,
      user: svc.user,
      password: `\${${passwordVariable(svc)}}`,
      database: svc.database,
      port_mapping: `${hostIp(svc.host)}:${svc.port}:5432`,
      volume_mount: `${svc.name}-data:/var/lib/postgresql/data`,
      healthcheck: `pg_isready -h 127.0.0.1 -p 5432 -U ${svc.user} -d ${svc.database}`,
    }),
  );
}

function redis(svc: RedisService): unknown {
  const persistence = svc.persistence === 'aof' ? ['--appendonly', 'yes', '--save', ''] : svc.persistence === 'rdb' ? ['--appendonly', 'no', '--save', '60 1'] : ['--appendonly', 'no', '--save', ''];
  const auth = svc.password ? ['--requirepass', `\${${passwordVariable(svc)}}`] : [];
  return parse(
    fillYamlTemplate('compose/redis.yml', {
      image: svc.image,
      command: ['redis-server', '--protected-mode', 'no', '--dir', '/data', ...persistence, ...auth],
      port_mapping: `${hostIp(svc.host)}:${svc.port}:6379`,
      volume_mount: `${svc.name}-data:/data`,
      healthcheck: svc.password ? `redis-cli -a "$$${passwordVariable(svc)}" ping | grep -q PONG` : 'redis-cli ping | grep -q PONG',
    }),
  );
}

/**
 * The compose file of the model: Postgres and Redis services with named volumes,
 * healthchecks and ports bound to the configured host. Pure: the same model gives the
 * same bytes.
 */
export function renderCompose(config: Config, services: Service[] = config.services): string {
  const out: { name: string; services: Record<string, unknown>; volumes: Record<string, Record<string, never>> } = { name: composeProject(config), services: {}, volumes: {} };
  for (const svc of services) {
    if (svc.kind === 'postgres') out.services[svc.name] = postgres(svc);
    else if (svc.kind === 'redis') out.services[svc.name] = redis(svc);
    else continue;
    out.volumes[`${svc.name}-data`] = {};
  }
  // YAML 1.1 rules quote yes/no/on/off, which some compose parsers read as booleans.
  return `# Rendered by tm from taskmaster.yml; do not edit (it is rewritten on every tm up).\n${stringify(out, { lineWidth: 0, version: '1.1' })}`;
}
