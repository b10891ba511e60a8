import * as z from 'zod/mini';
import { command, containerPath, port, preprocess, text } from '../config/zod.js';
import { splitCommand } from '../util/command.js';
import type { Kind, PortBinding } from './types.js';

/** A port's name: it names the port in Kubernetes too (at most 15 characters). */
const portName = z.string().check(z.regex(/^[a-z][a-z0-9-]{0,14}$/, { error: 'expected a port name: lowercase letters, digits and "-", at most 15' }));

/** `9001` (the same inside), or `"9001:80"` (on this machine : in the container). */
const portMapping = preprocess(
  (v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
  z.union([
    port,
    text('a port, or "host:container" such as "8080:80"').check(
      z.refine((v: string) => /^\d{1,5}:\d{1,5}$/.test(v) && v.split(':').every((p) => Number(p) >= 1 && Number(p) <= 65535), {
        error: 'expected a port, or "host:container" such as "8080:80"',
      }),
    ),
  ]),
);

const schema = z.strictObject({
  kind: z.literal('generic'),
  image: text('an image such as nginx:1'),
  host: z._default(text(), '127.0.0.1'),
  /** Its main port on this machine. */
  port: z.optional(port),
  /** Its main port in the container (default: the same as `port`). */
  container_port: z.optional(port),
  /** More ports by name: `admin: 9001` or `admin: "9001:80"`. */
  ports: z._default(z.record(portName, portMapping), {}),
  /** Where a named volume keeps its data in the container. */
  volume: z.optional(containerPath),
  env: z._default(z.record(z.string(), text()), {}),
  /** The container's command (exec form), instead of the image's. */
  command: z.optional(command),
  /**
   * Readiness: an http(s) URL answering 2xx, `tcp` (the main port accepts; the default, and
   * weak: Docker's port proxy accepts before the container listens), or `{ command }` exiting 0.
   */
  health: z.optional(
    z.union([
      text('a URL, "tcp", or { command }').check(
        z.refine((v: string) => v === 'tcp' || /^https?:\/\/./.test(v), { error: 'expected an http(s) URL, "tcp", or { command: ... }' }),
      ),
      z.strictObject({ command }),
    ]),
  ),
});

export type GenericService = z.output<typeof schema> & {
  kind: 'generic';
  name: string;
  /** `env:` as written, before `${VAR}` expansion (as an app's). */
  envSource?: Record<string, string>;
};

/** Any image: its ports, a volume, its variables, and a tcp, http or command probe. */
export const generic: Kind<GenericService> = {
  name: 'generic',
  title: 'service',
  schema,
  problems(svc) {
    const out: { key: string; message: string }[] = [];
    if (svc.container_port !== undefined && svc.port === undefined) out.push({ key: 'container_port', message: 'needs port (its port on this machine)' });
    if (svc.health === 'tcp' && svc.port === undefined) out.push({ key: 'health', message: 'tcp needs port (the port to connect to)' });
    return out;
  },
  ports(svc) {
    const out: PortBinding[] = [];
    if (svc.port !== undefined) out.push({ key: 'port', name: 'main', port: svc.port, container: svc.container_port ?? svc.port });
    for (const [name, mapping] of Object.entries(svc.ports)) {
      const [host, inside = host] = String(mapping).split(':').map(Number) as [number, number?];
      out.push({ key: `ports.${name}`, name, port: host, container: inside });
    }
    return out;
  },
  secrets: [],
  url: (svc, at) => (svc.port === undefined ? undefined : `http://${at.host}:${at.port('main')}`),
  exports: () => ({}),
  probe(svc) {
    const health = svc.health;
    if (typeof health === 'object') return { protocol: 'command', command: health.command };
    if (health && health !== 'tcp') return { protocol: 'http', url: health };
    return svc.port === undefined ? undefined : { protocol: 'tcp', host: svc.host, port: svc.port };
  },
  native: {
    refuse: 'a generic service runs an image: use the Docker runtime (runtime: docker), or declare it as an app with a command for local binaries',
  },
  container(svc) {
    const path = typeof svc.health === 'string' && svc.health !== 'tcp' ? URL.parse(svc.health)?.pathname : undefined;
    return {
      image: svc.image,
      env: {},
      projectEnv: { values: svc.env, written: svc.envSource },
      command: svc.command === undefined ? undefined : splitCommand(svc.command, svc.name),
      volume: svc.volume,
      check: path ? { http: path } : undefined,
    };
  },
};
