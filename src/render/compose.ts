import { isAbsolute, join } from 'node:path/posix';
import { stringify } from 'yaml';
import { hostPorts, kindOf, secretVariable, variableName } from '../catalog/index.js';
import { SECRET_MARKER } from '../catalog/types.js';
import { composeProject, type Config } from '../config/load.js';
import { isOneShot } from '../config/graph.js';
import { listenAddress } from '../config/listen.js';
import type { AppService, Service } from '../config/schema.js';
import { networkVariables } from '../config/services.js';
import { splitCommand } from '../util/command.js';
import { parseDuration } from '../util/duration.js';

export { composeProject } from '../config/load.js';

/** `<NAME>_PASSWORD`: where a service's password is kept in `.env` and in the Kubernetes Secret. */
export function projectPasswordVariable(svc: Service): string {
  return secretVariable(svc, 'password');
}

/** The variable compose reads a service's secret from (never written into the file). */
function composeSecretVariable(svc: Service, field: string): string {
  return `TM_${secretVariable(svc, field)}`;
}

/** A node one-liner that exits 0 when `url` answers 2xx (images need not have curl). */
export function nodeHttpCheck(url: string): string {
  return `fetch('${url.replace(/[\\']/g, '\\$&')}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;
}

/** Values for the compose process's environment: the services' secrets the file refers to. */
export function composeSecrets(services: Service[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of services) {
    const values = s as unknown as Record<string, unknown>;
    for (const field of kindOf(s).secrets) {
      const value = values[field];
      if (typeof value === 'string' && value !== '') env[composeSecretVariable(s, field)] = value;
    }
  }
  return env;
}

/** `IP:` for a port mapping (an IPv6 address in brackets). */
const hostIp = (host: string) => {
  const address = listenAddress(host);
  return address.includes(':') ? `[${address}]` : address;
};

/** `${TM_POSTGRES_PASSWORD}` for tm's own file, `${POSTGRES_PASSWORD}` (from .env) for the repository's. */
function secretRef(svc: Service, field: string, variables: 'tm' | 'dotenv'): string {
  return `\${${variables === 'tm' ? composeSecretVariable(svc, field) : secretVariable(svc, field)}}`;
}

/**
 * An app's value: by TM_* variable, or for the repository's file from .env, URLs rebuilt
 * for the network. The app's own `env:` values go in as written (compose expands `${VAR}`
 * from .env as tm does); contract variables and secrets stay `${VAR}` references.
 */
function appValue(config: Config, svc: AppService, key: string, variables: 'tm' | 'dotenv'): string {
  if (variables === 'tm') return `\${${appVariable(svc, key)}}`;
  const spec = config.env[key];
  const written = svc.envSource?.[key];
  if (written !== undefined && spec?.type !== 'secret') return composeText(written);
  const exported = networkVariables(config.services, (s, field) => secretRef(s, field, variables)).get(key);
  if (exported) return exported.value;
  if (key === 'PORT' && svc.port !== undefined) return String(svc.port);
  // A default that compose can carry: `${LOG_LEVEL:-info}` works without a .env entry.
  if (spec?.default !== undefined && spec.type !== 'secret' && !/[$}]/.test(spec.default)) return `\${${key}:-${spec.default}}`;
  return `\${${key}}`;
}

/**
 * A value tm has already resolved (a user, a command argument), written so that compose reads
 * it back as it is: compose interpolates `$` in every string of the file.
 */
function literal(value: string): string {
  return value.replaceAll('$', '$$$$');
}

/** taskmaster.yml text as compose reads it: `${...}` and `$$` stay, a lone `$` is escaped. */
function composeText(written: string): string {
  return written.replace(/\$\$|\$\{[^}]*\}|\$/g, (m) => (m === '$' ? '$$' : m));
}

/** Text of taskmaster.yml or of a kind as compose reads it: `$` escaped, secrets as references. */
function composeValue(svc: Service, text: string, variables: 'tm' | 'dotenv'): string {
  return text.replace(/\$/g, '$$$$').replace(SECRET_MARKER, (_m, field: string) => secretRef(svc, field, variables));
}

/** What a service's container is, as compose writes it; its config files go into `configs`. */
function catalogService(
  config: Config,
  svc: Exclude<Service, AppService>,
  variables: 'tm' | 'dotenv',
  configs: Record<string, { content: string }>,
  base: string,
): Record<string, unknown> {
  const spec = kindOf(svc).container!(svc, { services: config.services });
  const value = (text: string) => composeValue(svc, text, variables);
  const out: Record<string, unknown> = { image: spec.image };
  if (spec.hostname) out.hostname = spec.hostname;
  if (spec.command) out.command = spec.command.map(value);
  else if (spec.args) out.command = spec.args.map(value);
  const environment: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env)) environment[k] = value(v);
  // A generic service's own variables: by TM_* variable (tm hands the values over), or as written.
  for (const [k, v] of Object.entries(spec.projectEnv?.values ?? {}))
    environment[k] = variables === 'tm' ? `\${${appVariable(svc, k)}}` : composeText(spec.projectEnv?.written?.[k] ?? v.replace(/\$/g, '$$$$'));
  if (Object.keys(environment).length > 0) out.environment = environment;
  const ports = hostPorts(svc, 'docker').map((b) => `${hostIp(svc.host)}:${b.port}:${b.container}`);
  if (ports.length > 0) out.ports = ports;
  const volumes: unknown[] = [];
  if (spec.volume) volumes.push(`${svc.name}-data:${spec.volume}`);
  // Relative to the compose file's folder; `./` so that compose never reads the path as a volume's name.
  for (const m of spec.mounts ?? []) {
    const source = join(base, m.source);
    volumes.push({ type: 'bind', source: literal(source.startsWith('.') ? source : `./${source}`), target: m.target, read_only: true });
  }
  if (volumes.length > 0) out.volumes = volumes;
  if (spec.tmpfs) out.tmpfs = [`${spec.tmpfs}:mode=1777`];
  if (spec.files?.length) {
    out.configs = spec.files.map((f) => {
      const name = `${svc.name}-${f.path
        .split('/')
        .pop()!
        .replace(/[^A-Za-z0-9_-]+/g, '-')}`;
      configs[name] = { content: value(f.content) };
      return { source: name, target: f.path };
    });
  }
  if (Array.isArray(spec.check))
    out.healthcheck = { test: ['CMD', ...spec.check.map(value)], interval: `${spec.checkEvery ?? 1}s`, timeout: '3s', retries: 30 };
  return out;
}

/** The variable compose reads an app's environment value from (values may hold secrets). */
export function appVariable(svc: Service, key: string): string {
  return `TM_${variableName(svc)}_ENV_${key}`;
}

/** Programs that mean node is in the image, so a healthcheck can use it (images need not have curl). */
const NODE_PROGRAMS = new Set(['node', 'npm', 'npx', 'yarn', 'pnpm', 'tsx']);

/**
 * A healthcheck tm can write without knowing the image: through node, when the app's command
 * runs node; an HTTP 2xx from the health URL, else the port accepting TCP. Other apps get
 * none, and what depends on them waits for `service_started` (tm itself waits for their probe).
 */
function appHealthcheck(svc: AppService, argv: string[] | undefined): Record<string, unknown> | undefined {
  const program = argv?.[0]?.split('/').pop();
  if (!program || !NODE_PROGRAMS.has(program)) return undefined;
  let script: string;
  const url = svc.health ? URL.parse(svc.health) : null;
  if (url) {
    url.hostname = '127.0.0.1';
    script = nodeHttpCheck(url.toString());
  } else if (svc.port !== undefined) {
    script = `require('net').connect(${svc.port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  } else return undefined;
  return { test: ['CMD', 'node', '-e', literal(script)], interval: '1s', timeout: '3s', retries: 60 };
}

/** What a dependent waits for: healthy, completed (a job), or started (no healthcheck to wait on). */
function dependencyCondition(config: Config, dep: Service | undefined): string {
  if (!dep) return 'service_healthy';
  if (dep.kind !== 'app') return Array.isArray(kindOf(dep).container?.(dep, { services: config.services }).check) ? 'service_healthy' : 'service_started';
  if (isOneShot(dep)) return 'service_completed_successfully';
  return appHealthcheck(dep, dep.command ? splitCommand(dep.command, dep.name) : undefined) ? 'service_healthy' : 'service_started';
}

/** `10s`, `500ms`: compose's duration format. */
function composeDuration(text: string): string {
  const ms = parseDuration(text);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * An app service: built from the project (`build`) or an image, run with its `command`
 * (exec form, no shell) when given, started once what it depends on is ready, its
 * environment passed by variable so no value lands in the file.
 */
function app(config: Config, svc: AppService, envKeys: string[], buildBase: string, variable: (key: string) => string): unknown {
  const out: Record<string, unknown> = {};
  const argv = svc.command ? splitCommand(svc.command, svc.name) : undefined;
  if (svc.build) out.build = { context: literal(join(buildBase, svc.build)) };
  else if (svc.image) out.image = literal(svc.image);
  if (argv) out.command = argv.map(literal);
  // A relative cwd is a folder of the project on this machine; in a container the image's WORKDIR applies.
  if (svc.cwd && isAbsolute(svc.cwd)) out.working_dir = literal(svc.cwd);
  if (svc.port !== undefined) out.ports = [`${hostIp(svc.host)}:${svc.port}:${svc.port}`];
  if (envKeys.length > 0) out.environment = Object.fromEntries(envKeys.map((k) => [k, variable(k)]));
  const healthcheck = appHealthcheck(svc, argv);
  if (healthcheck) out.healthcheck = healthcheck;
  if (svc.stop_grace_period) out.stop_grace_period = composeDuration(svc.stop_grace_period);
  if (svc.depends_on.length > 0) {
    out.depends_on = Object.fromEntries(
      svc.depends_on.map((d) => [
        d,
        {
          condition: dependencyCondition(
            config,
            config.services.find((s) => s.name === d),
          ),
        },
      ]),
    );
  }
  return out;
}

export interface ComposeOptions {
  /** `tm`: TM_* variables handed to compose by tm; `dotenv`: the project's own .env names. */
  variables?: 'tm' | 'dotenv';
  /** Per app service, the names of its environment variables (values go by variable). */
  appEnvKeys?: Record<string, string[]>;
  /** Where build contexts and mounted files are relative to: the project seen from the compose file's folder. */
  buildBase?: string;
}

/**
 * The compose file of the model: each service as its kind's container (the image's
 * variables, named volumes, healthchecks, config files), app services, ports bound to the
 * configured host. Pure: the same model gives the same bytes.
 */
export function renderCompose(config: Config, services: Service[] = config.services, opts: ComposeOptions = {}): string {
  const variables = opts.variables ?? 'tm';
  const out: {
    name?: string;
    services: Record<string, unknown>;
    volumes: Record<string, Record<string, never>>;
    configs?: Record<string, { content: string }>;
  } = { services: {}, volumes: {} };
  const configs: Record<string, { content: string }> = {};
  // Only tm's own file is named: the project id holds a hash of this clone's path, so the
  // repository's file would differ in every clone (tm passes -p anyway).
  if (variables === 'tm') out.name = composeProject(config);
  for (const svc of services) {
    if (svc.kind === 'app') {
      if (svc.build || svc.image)
        out.services[svc.name] = app(config, svc, opts.appEnvKeys?.[svc.name] ?? [], opts.buildBase ?? '.', (k) => appValue(config, svc, k, variables));
      continue;
    }
    const service = catalogService(config, svc, variables, configs, opts.buildBase ?? '.');
    out.services[svc.name] = service;
    if ((service.volumes as unknown[] | undefined)?.some((v) => typeof v === 'string')) out.volumes[`${svc.name}-data`] = {};
  }
  if (Object.keys(configs).length > 0) out.configs = configs;
  // YAML 1.1 rules quote yes/no/on/off, which some compose parsers read as booleans.
  const header =
    variables === 'tm'
      ? '# Rendered by tm from taskmaster.yml; do not edit (it is rewritten on every tm up).'
      : '# Rendered by tm render compose from taskmaster.yml; values come from .env.';
  return `${header}\n${stringify(out, { lineWidth: 0, version: '1.1' })}`;
}
