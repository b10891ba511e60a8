import { isLoopbackAddress } from '../config/listen.js';
import type { Config } from '../config/load.js';
import type { Service } from '../config/schema.js';
import { defaultPort } from '../config/services.js';
import type { Problem } from '../errors.js';
import type { EnvState } from './resolve.js';

type DataService = Extract<Service, { kind: 'postgres' | 'redis' }>;

/** The project's service a URL points at (its scheme, a local host and the service's port), if any. */
export function urlService(config: Config, url: string): { svc: DataService; url: URL } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const kind = /^postgres(ql)?:$/.test(u.protocol) ? 'postgres' : /^rediss?:$/.test(u.protocol) ? 'redis' : undefined;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!kind || !(host === 'localhost' || isLoopbackAddress(host))) return undefined;
  const port = Number(u.port || defaultPort(u.protocol));
  const svc = config.services.find((s): s is DataService => s.kind === kind && s.port === port);
  return svc ? { svc, url: u } : undefined;
}

/** Which of the URL's credentials differ from the service's: `user`, `password`, or none. */
function differs(svc: DataService, u: URL): ('user' | 'password')[] {
  const user = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  const out: ('user' | 'password')[] = [];
  if (svc.kind === 'postgres' && user !== svc.user) out.push('user');
  if (password !== (svc.password ?? '')) out.push('password');
  return out;
}

/**
 * The URL with the credentials of the project's service it points at, so that `.env` and the
 * service agree; undefined when it points elsewhere or already agrees.
 */
export function withServiceCredentials(config: Config, url: string): string | undefined {
  const found = urlService(config, url);
  if (!found || differs(found.svc, found.url).length === 0) return undefined;
  const { svc, url: u } = found;
  if (svc.kind === 'postgres') u.username = encodeURIComponent(svc.user);
  u.password = svc.password ? encodeURIComponent(svc.password) : '';
  return u.toString();
}

/**
 * A database or Redis URL of the contract that points at the project's own service but with
 * other credentials: the apps would log in with one password and the server has the other.
 * Both places are named; neither value is shown.
 */
export function credentialProblems(config: Config, state: EnvState): Problem[] {
  const problems: Problem[] = [];
  for (const [key, spec] of Object.entries(config.env)) {
    if (spec.type !== 'postgres-url' && spec.type !== 'redis-url') continue;
    const v = state.vars.get(key);
    const found = v?.value ? urlService(config, v.value) : undefined;
    if (!v || !found) continue;
    const fields = differs(found.svc, found.url);
    if (fields.length === 0) continue;
    const at = v.source === 'file' ? { file: v.file, line: v.line } : { file: v.source === 'environment' ? '(environment)' : '.env' };
    problems.push({
      ...at,
      path: key,
      message: `its ${fields.join(' and ')} differ${fields.length === 1 ? 's' : ''} from services.${found.svc.name} in taskmaster.yml (the server's); fix: tm env init --force rewrites it from the service, or set the same ${fields.join(' and ')} in both places`,
    });
  }
  return problems;
}
