import type * as z from 'zod/mini';

// What one kind of service declares: its taskmaster.yml schema, its ports, its image's
// contract, the URLs it gives the apps, its readiness probe, how it runs from local binaries,
// and what its container looks like. Data and pure functions only: the runtimes, health,
// doctor and the renderers ask a kind and do the I/O themselves.

/** What every validated service has, whatever its kind. */
export interface ServiceBase {
  kind: string;
  name: string;
  /** The address it listens on (see config/listen.ts). */
  host: string;
  /** Its main port on this machine, if it has one. */
  port?: number;
  image?: string;
  /** A service derived from another (Postgres' test database): the one whose secrets it shares, kept under that one's name. */
  secretsOf?: string;
}

/** One port of a service: on this machine, and inside its container. */
export interface PortBinding {
  /** The key of taskmaster.yml that sets it: `port`, `management_port`. */
  key: string;
  /** What it serves, also its name in Kubernetes (at most 15 characters): `amqp`, `management`. */
  name: string;
  /** On this machine. */
  port: number;
  /** Inside the container (and the pod). */
  container: number;
  /** Used only by local binaries (RabbitMQ's node distribution): Docker does not publish it. */
  nativeOnly?: boolean;
}

/**
 * Where a URL points: this machine (the published ports, real secrets) or the compose network
 * and the cluster (the service's name, container ports, secrets as references).
 */
export interface Reach {
  host: string;
  /** A port by its binding's name. */
  port(name: string): number;
  /** A secret field of the service (`password`): its value, or a reference. */
  secret(field: string): string;
  /** The same inside a URL: encoded, or a reference. */
  urlSecret(field: string): string;
  /** For the project's files (compose, k8s): what follows this checkout (a branch database) is left out. */
  project?: boolean;
}

/** How a probe asks a server whether it is usable: the protocol, and where. */
export type ProbeSpec =
  | { protocol: 'postgres'; host: string; port: number; user: string; password?: string; database: string }
  | { protocol: 'redis'; host: string; port: number; password?: string }
  | { protocol: 'amqp'; host: string; port: number; user: string; password: string; vhost: string; managementPort?: number }
  | { protocol: 'mysql'; host: string; port: number; user: string; password?: string; database: string }
  | { protocol: 'memcached'; host: string; port: number }
  | { protocol: 'nats'; host: string; port: number; user?: string; password?: string; token?: string }
  | { protocol: 'smtp'; host: string; smtpPort: number; webUrl: string }
  | { protocol: 'cluster-health'; host: string; port: number; user?: string; password?: string }
  | { protocol: 'http'; url: string }
  | { protocol: 'tcp'; host: string; port: number }
  | { protocol: 'command'; command: string | string[] };

/**
 * A secret of the service inside a container's text (an environment value, an argument, a
 * file): a marker that each renderer replaces with its own reference (`${TM_X_PASSWORD}`
 * for compose, `$(X_PASSWORD)` from the Secret for Kubernetes), so no value is written.
 */
export function secret(field: string): string {
  return `${MARK}${field}${MARK}`;
}

/** A character of Unicode's private use area: no configuration value holds it. */
const MARK = '\ue000';

/** The markers `secret()` leaves, with the field in group 1. */
export const SECRET_MARKER = /\ue000([a-z_]+)\ue000/g;

/** Whether text holds a secret's marker. */
export function holdsSecret(text: string): boolean {
  return text.includes(MARK);
}

/** The field when the whole of `text` is one secret's marker. */
export function wholeSecret(text: string): string | undefined {
  return /^\ue000([a-z_]+)\ue000$/.exec(text)?.[1];
}

/** What a service's container is, for compose and Kubernetes alike. */
export interface ContainerSpec {
  image: string;
  /** The image's variables (values may hold `secret()` markers). */
  env: Record<string, string>;
  /** Replaces the image's command (exec form). */
  command?: string[];
  /** Arguments to the image's own entrypoint (compose's `command:`, Kubernetes' `args:`). */
  args?: string[];
  /** Where its named data volume is mounted; none: it keeps nothing. */
  volume?: string;
  /** Where a memory-only filesystem is mounted in place of a volume (a throwaway database). */
  tmpfs?: string;
  /** Files of the project mounted read-only: `source` relative to the project root. */
  mounts?: { source: string; target: string }[];
  /** Files it reads, mounted read-only (compose configs, a Kubernetes ConfigMap or Secret). */
  files?: { path: string; content: string }[];
  /**
   * A readiness check run inside the container (exec form: compose's healthcheck and
   * Kubernetes' probes), or an HTTP path on its main port (Kubernetes only: images need not
   * have curl). None: Kubernetes checks that the main port accepts.
   */
  check?: string[] | { http: string };
  /** Seconds between checks (a heavy check less often). */
  checkEvery?: number;
  /** Kubernetes' liveness check when it differs from readiness (the server answers at all). */
  live?: string[];
  /** A stable host name (RabbitMQ keeps its data under its node's name). */
  hostname?: string;
  /** Kubernetes: storage asked for its volume, and its resource requests. */
  storage?: string;
  resources?: { cpu: string; memory: string };
  /** Kubernetes only: variables a pod needs (PGDATA below the volume's root, which holds lost+found). */
  podEnv?: Record<string, string>;
  /**
   * Variables of the project's own (a generic service's `env:`): handed over by variable in
   * tm's compose file (they may hold secrets), written as in taskmaster.yml in the repository's.
   */
  projectEnv?: { values: Record<string, string>; written?: Record<string, string> };
}

/** A program by the names it goes by: absolute paths first, then names looked up on PATH. */
export interface Program {
  candidates: string[];
  /** An npm package whose bin provides it (the project's node_modules first, then tm's cache). */
  npm?: { package: string; bin: string };
}

/** A command run to completion (initialization, clean-up). */
export interface Step {
  program: Program;
  args: string[];
}

/** Where one server keeps its files and what it listens on. */
export interface NativeSpec<P extends string> {
  /** A directory of this server alone (absolute): data, configuration and logs go under it. */
  dir: string;
  /** The address it listens on. */
  host: string;
  /** Its ports, by the names its kind declares. */
  ports: Record<P, number>;
}

export interface NativeLaunch {
  program: Program;
  args: string[];
  /** Added to the environment it inherits. */
  env: Record<string, string>;
  /** Directories to create (owned by the account it runs as). */
  dirs: string[];
  /** Files written before each start; mode 0600, as they may hold passwords. */
  files: { path: string; content: string }[];
  /** Run once, before the first start: skipped when `creates` exists. */
  init?: Step & { creates: string };
  /** Run after the server has stopped, to end what it started on its own (rabbitmq's epmd). */
  afterStop?: Step[];
  /** How long a graceful stop (SIGTERM) may take before SIGKILL. */
  stopGraceMs: number;
}

/** How to run one kind of server from local binaries, as data (no I/O). */
export interface NativeKind<P extends string, S extends object = object> {
  kind: string;
  /** The ports it needs, the client-facing one first. */
  ports: readonly P[];
  /** Debian's system account for it: the server runs as this user when tm runs as root. */
  account?: string;
  launch(spec: NativeSpec<P> & S): NativeLaunch;
}

/** Package names per system package manager. */
export interface SystemPackages {
  apt: string[];
  dnf: string[];
  brew: string[];
}

/** What a launch may take from the rest of the project. */
export interface NativeContext {
  /** Every service of the project (Prometheus scrapes the apps). */
  services: readonly ServiceBase[];
  /** A short directory for Unix sockets (their paths are limited to about 107 bytes). */
  socketDir: string;
}

/** How a kind runs on the native runtime. */
export type NativeDecl<S> =
  /** By a driver of the native runtime's own (Postgres' roles over its socket, Redis, the apps' supervisor). */
  | { driver: 'postgres' | 'redis' | 'app' }
  /** From a launch, with the service's ports and settings. */
  | {
      // biome-ignore lint/suspicious/noExplicitAny: each kind's launch has its own port names and settings
      launch: NativeKind<any, any>;
      ports(svc: S): Record<string, number>;
      settings(svc: S, ctx: NativeContext): object;
      /** What installs its binaries: the system's package manager, or npm into tm's cache. */
      install: { system: SystemPackages } | { npm: { package: string; version: string } };
      /** Program names a process of it runs as (argv[0] or, for a script, argv[1]). */
      processNames: string[];
    }
  /** Not at all: why, and what to do instead. */
  | { refuse: string };

/** A client program for `tm shell` (on Docker, the container's; natively, this machine's). */
export interface Client {
  program: string;
  /** Its arguments to reach the service (never a password: `ps` shows arguments to every user). */
  args: string[];
  /** Its environment: where it is and who to be, the password included (PGPASSWORD, REDISCLI_AUTH, MYSQL_PWD). */
  env: Record<string, string>;
}

/** Where a client reaches the service from where it runs: this machine, or inside the container. */
export interface Address {
  host: string;
  port: number;
}

/** What the renderers and runtimes know about the rest of the project when they ask a kind. */
export interface ProjectView {
  /** Every service of the project, in config order. */
  services: readonly ServiceBase[];
}

/** One kind of service. */
export interface Kind<S extends ServiceBase = ServiceBase> {
  /** Its `kind:` (and the service name that implies it). */
  name: string;
  /** For people: "RabbitMQ". */
  title: string;
  /** Its keys in taskmaster.yml. */
  // biome-ignore lint/suspicious/noExplicitAny: a strict object schema of any shape
  schema: z.ZodMiniObject<any>;
  /** Fills defaults that depend on more than the schema sees (a database named after the project). */
  complete?(svc: S, project: string): void;
  /** Services it brings along, derived from its keys (Postgres' test database). */
  companions?(svc: S): S[];
  /** Problems a valid shape can still have (an open Redis on the network), by key. */
  problems?(svc: S): { key: string; message: string }[];
  /** Its ports, the main one first. */
  ports(svc: S): PortBinding[];
  /** Keys holding secrets: masked in output, passed to containers by reference. */
  secrets: readonly string[];
  /** The URL of the service (its main one), reached at `at`. */
  url(svc: S, at: Reach): string | undefined;
  /** Variables it gives the apps and `.env` (`AMQP_URL`), reached at `at`. */
  exports(svc: S, at: Reach, project: ProjectView): Record<string, string>;
  /** URL schemes that mean this kind, with the port each means when a URL names none. */
  schemes?: Record<string, number>;
  /** Its readiness probe; none for a job, which is done when it exits 0. */
  probe(svc: S): ProbeSpec | undefined;
  native: NativeDecl<S>;
  /** Its container (apps are rendered by render/ from the env contract instead). */
  container?(svc: S, project: ProjectView): ContainerSpec;
  /** The client `tm shell` opens, reaching the service at `at`. */
  client?(svc: S, at: Address): Client;
  /** Its web UI on this machine (`tm open`). */
  web?(svc: S): string | undefined;
}
