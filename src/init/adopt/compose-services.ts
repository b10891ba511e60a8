import * as z from 'zod/mini';
import { KINDS, secretVariable, type ServiceKind } from '../../catalog/index.js';
import type { PortBinding } from '../../catalog/types.js';
import { splitCommand } from '../../util/command.js';
import { hasReference, interpolate, tmExpression, type Variables } from './compose-interpolate.js';
import { type ComposeProject, type ContainerVariable, containerVariables, isActive, listToMap, type RawService, volumeTarget } from './compose-read.js';
import { CREDENTIALS, type ImageContract, imageContract, imageName, imageTag, isMigrationTool } from './image-kinds.js';
import type { Finding } from './report.js';

// Compose services as services of taskmaster.yml: a catalog kind from the image (its ports,
// credentials and data kept), an app from `build:`, anything else `generic`. What cannot be
// carried is said, never dropped silently; secret values are never put into a finding.

/** A service for taskmaster.yml: its name (the compose name) and keys, as they are written. */
export interface AdoptedService {
  name: string;
  kind: ServiceKind;
  keys: Record<string, unknown>;
  /** The compose service builds the project's own code (`build: .`). */
  buildsRoot?: boolean;
}

export interface ComposeAdoption {
  services: AdoptedService[];
  findings: Finding[];
}

/** What a service may read to be written: the project, its env files' variables, the compose file's name. */
interface Inputs {
  root: string;
  vars: Variables;
  /** Variables of the project's env files (.env, .env.local): where a literal secret may be referred to. */
  envFiles: Variables;
  file: string;
}

/** One published port: on this machine (as written, and its value) and in the container. */
export interface Published {
  written?: string;
  published?: number;
  target: number;
  hostIp?: string;
}

/** The keys of a compose service each mapping reads (the others are listed as not carried). */
const COMMON = ['image', 'environment', 'env_file', 'ports', 'volumes', 'healthcheck', 'profiles', 'command', 'expose'];
const READ = {
  kind: new Set(COMMON),
  app: new Set([...COMMON, 'build', 'depends_on']),
  generic: new Set(COMMON),
};

/** Maps every service of the compose project that a plain `docker compose up` starts. */
export function adoptCompose(root: string, project: ComposeProject, envFiles: Variables): ComposeAdoption {
  const file = project.files.join(' + ');
  const inputs: Inputs = { root, vars: project.vars, envFiles, file };
  const services: AdoptedService[] = [];
  const findings: Finding[] = [];
  const from = (name: string) => `${file} services.${name}`;
  for (const f of project.ignored) findings.push({ from: `${file} ${f}:`, status: 'unmapped', detail: 'not read by tm init --adopt' });
  const adopted = new Set<string>();
  for (const [name, svc] of Object.entries(project.services)) {
    if (!isActive(svc, project.profiles)) {
      findings.push({ from: from(name), status: 'unmapped', detail: `left out: only in profile ${(svc.profiles as string[]).join(', ')} (COMPOSE_PROFILES)` });
      continue;
    }
    const image = svc.image === undefined ? undefined : interpolate(String(svc.image), project.vars).value;
    if (svc.build === undefined && image && isMigrationTool(image)) {
      findings.push({ from: from(name), status: 'unmapped', detail: `left out: ${imageName(image)} applies migrations, which tm db migrate does` });
      continue;
    }
    const notes: string[] = [];
    const adoptedService =
      svc.build !== undefined
        ? appService(name, svc, inputs, notes)
        : image === undefined
          ? undefined
          : (catalogService(name, svc, image, inputs, notes) ?? genericService(name, svc, image, inputs, notes));
    if (!adoptedService) {
      findings.push({ from: from(name), status: 'unmapped', detail: 'left out: neither image nor build' });
      continue;
    }
    const left = Object.keys(svc).filter(
      (k) => !READ[adoptedService.kind === 'app' || adoptedService.kind === 'generic' ? adoptedService.kind : 'kind'].has(k),
    );
    if (left.length) notes.push(`not carried: ${left.join(', ')}`);
    services.push(adoptedService);
    adopted.add(name);
    findings.push({ from: from(name), to: `services.${name}`, status: 'mapped', detail: describeService(adoptedService) });
    for (const n of notes) findings.push({ from: from(name), status: 'note', detail: n });
  }
  // depends_on names only services that made it into taskmaster.yml.
  for (const s of services) {
    const deps = s.keys.depends_on as string[] | undefined;
    if (!deps) continue;
    const kept = deps.filter((d) => adopted.has(d));
    for (const d of deps.filter((d) => !adopted.has(d)))
      findings.push({ from: from(s.name), status: 'note', detail: `depends_on ${d}: left out with that service` });
    if (kept.length) s.keys.depends_on = kept;
    else delete s.keys.depends_on;
  }
  return { services, findings };
}

/** A human summary of what a service became; never a secret's value. */
export function describeService(s: AdoptedService): string {
  const k = s.keys;
  const parts = [`kind ${s.kind}`];
  if (k.image) parts.push(`image ${String(k.image)}`);
  if (k.build) parts.push(`build ${String(k.build)}`);
  for (const key of Object.keys(k).filter((x) => /(^|_)port$/.test(x))) parts.push(`${key} ${String(k[key])}`);
  for (const key of ['user', 'database', 'vhost']) if (k[key] !== undefined) parts.push(`${key} ${String(k[key])}`);
  for (const key of ['password', 'root_password', 'token']) if (k[key] !== undefined) parts.push(`${key} ${referenceOnly(String(k[key]))}`);
  if (k.command) parts.push(`command ${Array.isArray(k.command) ? k.command.join(' ') : String(k.command)}`);
  if (k.health) parts.push(`health ${typeof k.health === 'string' ? k.health : 'command'}`);
  return parts.join(', ');
}

/** A secret as it may be shown: the variable it is read from, never a value. */
function referenceOnly(written: string): string {
  const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-)?/.exec(written);
  return m ? `from \${${m[1]}}${m[2] ? ' (with a default kept in taskmaster.yml)' : ''}` : 'kept in taskmaster.yml (a literal of the compose file)';
}

/** A service of a catalog kind, or undefined when the image is none of the catalog's. */
function catalogService(name: string, svc: RawService, image: string, inputs: Inputs, notes: string[]): AdoptedService | undefined {
  const contract = imageContract(image);
  if (!contract) return undefined;
  const kind = contract.kind;
  const keys: Record<string, unknown> = {};
  if (name !== kind) keys.kind = kind;
  if (contract.keep) keys.image = tmExpression(String(svc.image), inputs.vars);
  else
    notes.push(
      `image ${image}: ${KINDS[kind].title}'s contract is tm's ${kind} kind; tm runs its own image (${defaults(kind).image as string}) on the same ports`,
    );
  if (kind === 'postgres') {
    const major = /^(\d+)/.exec(imageTag(image) ?? '')?.[1];
    if (major) keys.version = Number(major);
  }
  portKeys(svc, kind, contract, inputs, keys, notes);
  const problems: string[] = [];
  const env = containerVariables(inputs.root, svc, inputs.vars, problems);
  notes.push(...problems);
  for (const cred of CREDENTIALS[kind] ?? []) {
    const found = cred.variables.map((v) => [v, env.get(v)] as const).find(([, v]) => v !== undefined);
    if (!found) continue;
    keys[cred.key] = credential({ name }, cred.key, { ...found[1]!, variable: found[0] }, Boolean(cred.secret), inputs, notes);
  }
  kindSpecifics(name, svc, kind, env, keys, inputs, notes);
  keptData(svc, kind, notes);
  if (svc.healthcheck !== undefined) notes.push(`healthcheck: tm's own ${KINDS[kind].title} probe takes its place (ready means usable, not only running)`);
  return { name, kind, keys };
}

/** Keys only some kinds have: Postgres' database default, Redis' flags, NATS' login, heaps. */
function kindSpecifics(
  name: string,
  svc: RawService,
  kind: string,
  env: Map<string, ContainerVariable>,
  keys: Record<string, unknown>,
  inputs: Inputs,
  notes: string[],
) {
  const argv = commandOf(svc, inputs.vars);
  const flag = (names: string[]) => {
    for (const [i, a] of argv.entries()) {
      for (const n of names) {
        if (a === n && argv[i + 1] !== undefined) return argv[i + 1];
        if (a.startsWith(`${n}=`)) return a.slice(n.length + 1);
      }
    }
    return undefined;
  };
  if (kind === 'postgres') {
    // The image names the database after the user when POSTGRES_DB is unset; tm after the project.
    keys.database ??= keys.user ?? 'postgres';
    if (keys.password === undefined) {
      const trust = env.get('POSTGRES_HOST_AUTH_METHOD')?.value === 'trust';
      notes.push(
        trust
          ? 'POSTGRES_HOST_AUTH_METHOD=trust: tm logs in with a password (postgres by default); a DATABASE_URL without one fails there'
          : 'no POSTGRES_PASSWORD: tm uses its default password (postgres)',
      );
    }
  }
  if (kind === 'redis') {
    const raw = rawCommand(svc);
    const pass = flag(['--requirepass']);
    if (pass !== undefined) {
      // The flag's text as written, so a ${REDIS_PASSWORD} stays a reference.
      const written = raw.find((a) => interpolate(a, inputs.vars).value === pass) ?? pass;
      keys.password = credential({ name }, 'password', { written, value: pass, from: hasReference(written) ? 'environment' : 'literal' }, true, inputs, notes);
    }
    const aof = flag(['--appendonly']);
    const save = flag(['--save']);
    keys.persistence = aof === 'yes' ? 'aof' : save === '' ? 'none' : 'rdb';
    if (argv.length > 0)
      notes.push(
        `command ${argv[0] ?? ''}...: tm writes Redis' command itself (persistence ${String(keys.persistence)}${pass !== undefined ? ', the password' : ''})`,
      );
  }
  if (kind === 'nats') {
    if (argv.includes('-js') || argv.includes('--jetstream')) keys.jetstream = true;
    const user = flag(['--user']);
    const pass = flag(['--pass']);
    const token = flag(['--auth']);
    if (user) keys.user = user;
    if (pass) keys.password = credential({ name }, 'password', { value: pass, from: 'literal' }, true, inputs, notes);
    if (token) keys.token = credential({ name }, 'token', { value: token, from: 'literal' }, true, inputs, notes);
  }
  if (argv.length > 0 && kind !== 'redis' && kind !== 'nats')
    notes.push(`command ${argv.join(' ')}: not carried (tm runs ${KINDS[kind as ServiceKind].title} with its own)`);
  if (kind === 'elasticsearch' || kind === 'opensearch') {
    const heap = /-Xmx(\d+[kmgKMG])/.exec(env.get('ES_JAVA_OPTS')?.value ?? env.get('OPENSEARCH_JAVA_OPTS')?.value ?? '')?.[1];
    if (heap) keys.heap = heap.toLowerCase();
  }
  if ((kind === 'mariadb' || kind === 'mysql') && keys.user === undefined) {
    notes.push(`no MYSQL_USER / MARIADB_USER: tm's ${kind} gives the apps a user of their own (${kind}), not root`);
  }
  if ((kind === 'mariadb' || kind === 'mysql') && keys.database === undefined) keys.database = name;
}

/** The kind's schema defaults: its image and ports. */
function defaults(kind: ServiceKind): Record<string, unknown> {
  return z.parse(KINDS[kind].schema, kind === 'generic' ? { kind, image: 'x' } : {}) as Record<string, unknown>;
}

/** The kind's ports that Docker publishes, with their container ports. */
function kindPorts(kind: ServiceKind): PortBinding[] {
  const svc = { ...defaults(kind), kind, name: kind } as never;
  return (KINDS[kind].ports as (s: never) => PortBinding[])(svc).filter((b) => !b.nativeOnly);
}

/** Each port key of the kind from the compose mapping of its container port. */
function portKeys(svc: RawService, kind: ServiceKind, contract: ImageContract, inputs: Inputs, keys: Record<string, unknown>, notes: string[]) {
  const published = publishedPorts(svc, inputs.vars, notes);
  const used = new Set<Published>();
  for (const b of kindPorts(kind)) {
    const inside = contract.ports?.[b.key] ?? b.container;
    const p = published.find((x) => x.target === inside);
    if (!p || p.published === undefined) {
      notes.push(`${b.key}: container port ${inside} is not published by compose; tm publishes it on ${b.port} (change ${b.key} if that is taken)`);
      continue;
    }
    used.add(p);
    keys[b.key] = p.written ?? p.published;
    if (p.hostIp && !['127.0.0.1', 'localhost'].includes(p.hostIp))
      notes.push(`${b.key}: compose publishes it on ${p.hostIp}; tm keeps it on 127.0.0.1 (host: in taskmaster.yml to change that)`);
    else if (!p.hostIp) notes.push(`${b.key}: compose publishes it on every address; tm keeps it on 127.0.0.1 (host: in taskmaster.yml to change that)`);
  }
  for (const p of published.filter((x) => !used.has(x)))
    notes.push(`port ${p.published ?? '(random)'}:${p.target}: not a port of tm's ${kind} kind; not carried`);
}

/** The ports a service publishes (short and long syntax), ranges and UDP left out with a note. */
export function publishedPorts(svc: RawService, vars: Variables, notes: string[] = []): Published[] {
  const out: Published[] = [];
  for (const entry of Array.isArray(svc.ports) ? svc.ports : []) {
    if (entry && typeof entry === 'object') {
      const e = entry as Record<string, unknown>;
      if (e.protocol === 'udp') continue;
      const raw = e.published === undefined ? undefined : String(e.published);
      const value = raw === undefined ? undefined : interpolate(raw, vars).value;
      out.push({
        target: Number(interpolate(String(e.target), vars).value),
        published: value && /^\d+$/.test(value) ? Number(value) : undefined,
        written: raw && hasReference(raw) ? tmExpression(raw, vars) : undefined,
        hostIp: e.host_ip === undefined ? undefined : String(e.host_ip),
      });
      continue;
    }
    const raw = String(entry);
    const text = interpolate(raw, vars).value;
    const m = /^(?:(?:\[([^\]]+)\]|([^:[\]]+)):)??(?:(\d+(?:-\d+)?):)?(\d+(?:-\d+)?)(?:\/(tcp|udp|sctp))?$/.exec(text);
    if (!m) {
      notes.push(`port ${text}: not read`);
      continue;
    }
    const [, ip6, ip4, host, target, protocol] = m;
    if (protocol && protocol !== 'tcp') continue;
    if (target!.includes('-') || host?.includes('-')) {
      notes.push(`port range ${text}: not carried (tm publishes single ports)`);
      continue;
    }
    // The published part as written, when it is a variable: `${PG_PORT:-5432}:5432`.
    const ref = /(\$\{[A-Za-z_]\w*(?::?-[^}]*)?\}|\$[A-Za-z_]\w*)\s*:\s*\d+(?:\/\w+)?$/.exec(raw)?.[1];
    out.push({
      target: Number(target),
      published: host === undefined ? undefined : Number(host),
      written: ref && interpolate(ref, vars).value === host ? tmExpression(ref, vars) : undefined,
      hostIp: ip6 ?? ip4,
    });
  }
  return out;
}

/** The command as compose runs it (a string is split as a shell would, without one), interpolated. */
function commandOf(svc: RawService, vars: Variables): string[] {
  return rawCommand(svc).map((a) => interpolate(a, vars).value);
}

function rawCommand(svc: RawService): string[] {
  if (svc.command === undefined || svc.command === null) return [];
  if (Array.isArray(svc.command)) return svc.command.map(String);
  try {
    return splitCommand(String(svc.command), 'command');
  } catch {
    return String(svc.command).split(/\s+/);
  }
}

/**
 * A credential for taskmaster.yml. A reference of the compose file is kept (tm reads the same
 * variable from .env); a value from `.env` by env_file becomes `${KEY}`; a literal stays, as
 * the default of the variable tm's own compose rendering reads (`${DB_PASSWORD:-...}`), unless
 * that variable is already set to something else. Never shown.
 */
function credential(
  svc: { name: string },
  key: string,
  v: ContainerVariable & { variable?: string },
  secret: boolean,
  inputs: Inputs,
  notes: string[],
): string {
  if (v.written !== undefined && hasReference(v.written)) return tmExpression(v.written, inputs.vars);
  // From the shell or the project's .env: taskmaster.yml reads the same variable.
  if (v.variable && (v.from === 'shell' || v.from === '.env')) return `\${${v.variable}}`;
  const literal = v.value.replaceAll('$', '$$$$');
  if (!secret) return literal;
  const where = v.from === 'environment' || v.from === 'literal' ? 'the compose file' : v.from;
  const variable = secretVariable(svc, key);
  const current = inputs.envFiles[variable];
  if (current === v.value) return `\${${variable}}`;
  if (current !== undefined || literal.includes('}')) {
    const why = current !== undefined ? `${variable} in .env holds another value` : 'it cannot stand in a ${...} default';
    notes.push(`${key}: a literal of ${where}, kept in taskmaster.yml (${why})`);
    return literal;
  }
  notes.push(`${key}: a literal of ${where}, kept as the default of \${${variable}} (set ${variable} in .env to move it out of taskmaster.yml)`);
  return `\${${variable}:-${literal}}`;
}

/** Named volumes at the kind's data path are its data (tm keeps them in a volume of its own); other mounts are said. */
function keptData(svc: RawService, kind: ServiceKind, notes: string[]) {
  const spec = (KINDS[kind] as { container?: (s: never, p: never) => { volume?: string } }).container?.(
    { ...defaults(kind), kind, name: kind } as never,
    { services: [] } as never,
  );
  for (const v of Array.isArray(svc.volumes) ? svc.volumes : []) {
    const target = volumeTarget(v);
    const long = typeof v === 'object' && v ? (v as Record<string, unknown>) : undefined;
    const source = long ? String(long.source ?? '') : String(v).split(':')[0]!;
    const named = long ? (long.type ?? 'volume') === 'volume' && source !== '' : source !== '' && !/^[./~]/.test(source) && String(v).includes(':');
    if (spec?.volume && target === spec.volume) {
      notes.push(
        named
          ? `volume ${source}:${target}: tm keeps ${kind}'s data in a named volume of its own (Docker) or .taskmaster/data (native); it starts empty, the old volume stays as it is`
          : `bind mount ${source}:${target}: tm keeps ${kind}'s data in a named volume (Docker) or .taskmaster/data (native), not in ${source}`,
      );
    } else if (/docker-entrypoint-initdb\.d/.test(target)) {
      notes.push(`volume ${source}:${target}: init scripts are not run by tm; move them into migrations or seeds (db/seeds)`);
    } else {
      notes.push(`volume ${source || '(anonymous)'}:${target}: not carried`);
    }
  }
}

/** Any other image: its ports, one data volume, variables as written, command and health. */
function genericService(name: string, svc: RawService, image: string, inputs: Inputs, notes: string[]): AdoptedService {
  const keys: Record<string, unknown> = { kind: 'generic', image: tmExpression(String(svc.image), inputs.vars) };
  const published = publishedPorts(svc, inputs.vars, notes).filter((p) => p.published !== undefined);
  const [main, ...more] = published;
  if (main) {
    keys.port = main.written ?? main.published;
    if (main.target !== main.published) keys.container_port = main.target;
  }
  const named: Record<string, string> = {};
  for (const [i, p] of more.entries()) named[`port-${i + 2}`] = `${p.published}:${p.target}`;
  if (Object.keys(named).length) keys.ports = named;
  const volumes = Array.isArray(svc.volumes) ? svc.volumes : [];
  const data = volumes.find((v) =>
    String(typeof v === 'object' ? ((v as Record<string, unknown>).type ?? 'volume') : v).match(/^[A-Za-z0-9][\w.-]*:\/|^volume$/),
  );
  if (data) keys.volume = volumeTarget(data);
  for (const v of volumes.filter((x) => x !== data))
    notes.push(`volume ${typeof v === 'string' ? v : volumeTarget(v)}: not carried (a generic service has one data volume)`);
  const env = containerVariables(inputs.root, svc, inputs.vars, notes);
  if (env.size)
    keys.env = Object.fromEntries(
      [...env].map(([k, v]) => [
        k,
        v.written !== undefined ? tmExpression(v.written, inputs.vars) : v.from === 'shell' ? `\${${k}}` : v.value.replaceAll('$', '$$$$'),
      ]),
    );
  const argv = rawCommand(svc);
  if (argv.length) keys.command = argv.map((a) => tmExpression(a, inputs.vars));
  const health = healthOf(svc, main, inputs.vars);
  if (health) keys.health = health;
  else if (main) keys.health = 'tcp';
  notes.push(`image ${imageName(image)} is not a kind tm knows: a generic service (Docker runtime only; tm up --runtime native refuses it)`);
  return { name, kind: 'generic', keys };
}

/**
 * A healthcheck as tm's health: an HTTP check (curl or wget of localhost) becomes the URL on the
 * published port; other commands run in the container, which tm cannot do from outside.
 */
function healthOf(svc: RawService, main: Published | undefined, vars: Variables): string | undefined {
  const hc = svc.healthcheck as Record<string, unknown> | undefined;
  if (!hc || hc.disable === true) return undefined;
  const test = Array.isArray(hc.test) ? hc.test.map(String).join(' ') : String(hc.test ?? '');
  const url = /https?:\/\/(?:localhost|127\.0\.0\.1|0\.0\.0\.0)(?::(\d+))?(\/[^\s'"|;]*)?/.exec(interpolate(test, vars).value);
  if (!url || !main || main.published === undefined) return undefined;
  const inside = Number(url[1] ?? 80);
  if (inside !== main.target) return undefined;
  return `http://localhost:${main.published}${url[2] ?? '/'}`;
}

/** A service built from the project's code: an app. */
function appService(name: string, svc: RawService, inputs: Inputs, notes: string[]): AdoptedService {
  const build = typeof svc.build === 'object' && svc.build ? (svc.build as Record<string, unknown>) : { context: svc.build };
  const context = interpolate(String(build.context ?? '.'), inputs.vars).value.replace(/\/$/, '') || '.';
  const keys: Record<string, unknown> = { build: context };
  if (build.dockerfile && build.dockerfile !== 'Dockerfile') notes.push(`build.dockerfile ${String(build.dockerfile)}: tm builds the folder's Dockerfile`);
  const argv = rawCommand(svc);
  if (argv.length) keys.command = argv.map((a) => tmExpression(a, inputs.vars));
  const published = publishedPorts(svc, inputs.vars, notes).filter((p) => p.published !== undefined);
  const main = published[0];
  if (main) {
    keys.port = main.written ?? main.published;
    if (main.target !== main.published)
      notes.push(`port ${main.published}:${main.target}: tm runs an app on the same port inside and out (${main.published}); its PORT variable says which`);
  }
  const health = healthOf(svc, main, inputs.vars);
  if (health) keys.health = health;
  const deps = Object.keys(listToMap(svc.depends_on, 'depends_on'));
  if (deps.length) keys.depends_on = deps;
  const env = containerVariables(inputs.root, svc, inputs.vars, notes);
  const kept: Record<string, string> = {};
  for (const [k, v] of env) {
    if (v.from !== 'environment' || v.written === undefined) continue;
    // URLs of the services tm gives the apps itself (right for each runtime).
    if (/^(DATABASE_URL|REDIS_URL|AMQP_URL|MYSQL_URL|MEMCACHED_URL|NATS_URL|SMTP_URL|PORT)$/.test(k)) {
      notes.push(`environment ${k}: tm gives the app this itself (pointing at the service for each runtime)`);
      continue;
    }
    kept[k] = tmExpression(v.written, inputs.vars);
  }
  if (Object.keys(kept).length) keys.env = kept;
  if (svc.env_file !== undefined) notes.push('env_file: the app gets the env contract (from .env) instead');
  if (svc.healthcheck !== undefined && !health) notes.push('healthcheck: not an HTTP check of its port; tm waits for its port instead');
  return { name, kind: 'app', keys, buildsRoot: context === '.' || context === './' };
}
