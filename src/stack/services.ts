import type { Config } from '../config/load.js';
import type { Service } from '../config/schema.js';
import { EXIT, TmError } from '../errors.js';

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
export function serviceUrl(svc: Service, reveal = false): string | undefined {
  const host = svc.host === '0.0.0.0' ? '127.0.0.1' : svc.host;
  switch (svc.kind) {
    case 'postgres': {
      const pw = svc.password ? `:${reveal ? encodeURIComponent(svc.password) : '****'}` : '';
      return `postgres://${encodeURIComponent(svc.user)}${pw}@${host}:${svc.port}/${encodeURIComponent(svc.database)}`;
    }
    case 'redis':
      return `redis://${svc.password ? `:${reveal ? encodeURIComponent(svc.password) : '****'}@` : ''}${host}:${svc.port}`;
    case 'app':
      return svc.port !== undefined ? `http://${host === '127.0.0.1' ? 'localhost' : host}:${svc.port}` : undefined;
  }
}
