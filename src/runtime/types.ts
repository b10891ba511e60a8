import type { PostgresService, Service } from '../config/schema.js';
import type { ClientTools } from '../db/admin/copy.js';
import type { Probe } from '../health/wait-for.js';
import type { Launch } from '../util/foreground.js';

/** What the runtime says about one service, read from the real processes or containers. */
export interface ServiceState {
  name: string;
  kind: Service['kind'];
  state: 'running' | 'stopped' | 'unmanaged';
  pid?: number;
  port?: number;
  /** ISO time the process was started by tm. */
  startedAt?: string;
  /** How a service that stopped by itself exited (app services, containers). */
  exit_code?: number;
  /** Docker only: what the engine reports of the container. */
  container?: { id: string; state: string; health?: string; exit_code?: number; restarts: number };
  /** Why it is not running, e.g. "stale PID file removed: process 123 is gone". */
  detail?: string;
}

export interface StartOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Progress for the reporter ("initializing postgres data directory"). */
  onProgress?: (message: string) => void;
  /** Something the user should know but that does not stop the start. */
  onWarning?: (message: string) => void;
}

export interface StopOptions {
  /** Progress for the reporter ("postgres did not stop within 10 s: killing it"). */
  onProgress?: (message: string) => void;
}

export interface StopResult {
  name: string;
  result: 'stopped' | 'killed' | 'not running';
}

/** How `tm exec`, `tm psql`... want a command run for a service. */
export interface CommandOptions {
  /** Attach a terminal (stdin is one); otherwise stdin is passed through as a stream. */
  tty: boolean;
  /** `argv[0]` is the service's client (config/clients.ts): add the arguments saying where the server is. */
  client?: boolean;
  /** The command talks to the service's server (a client, pg_dump): it must be running. */
  server?: boolean;
}

/** Starts, stops, inspects and reads the logs of declared services. */
export interface Runtime {
  readonly name: 'native' | 'docker';
  status(services: Service[]): Promise<ServiceState[]>;
  /** Checks everything that can be known before starting (binaries, engine, images); throws TmError. */
  preflight(services: Service[]): Promise<void>;
  /**
   * Starts the given services (none of them running) and returns once their processes are up
   * and set up. Readiness as the app sees it is checked by the caller with the health probes.
   */
  start(services: Service[], opts: StartOptions): Promise<void>;
  /**
   * Stops what runs on these services' data without the runtime knowing it (a tm killed while
   * starting one), before they are started again. Runtimes that cannot lose track skip it.
   */
  reclaim?(services: Service[], opts?: StopOptions): Promise<void>;
  /** Stops services, last declared first. */
  stop(services: Service[], opts?: StopOptions): Promise<StopResult[]>;
  /** Deletes the services' data; only called after they are stopped. */
  removeData(services: Service[]): Promise<void>;
  /** Wraps a readiness probe so a service that died during start fails at once. */
  guard(service: Service, probe: Probe): Probe;
  /** For a one-shot job (no port, no health URL): passes once it has exited 0, fails if it exited otherwise. */
  jobFinished(service: Service): Probe;
  /** The last `n` lines of a service's output. */
  tailLogs(service: Service, n: number): Promise<string[]>;
  /** pg_dump and pg_restore for a running Postgres service: the server's own (local binaries, or those in its container). */
  clientTools(service: PostgresService): Promise<ClientTools>;
  /** Bytes of data the services keep on disk (data directories, volumes); undefined when it cannot be told. */
  dataSize(services: Service[]): Promise<number | undefined>;
  /**
   * How to run `argv` as the service sees it: in its container (Docker), or here with the
   * service's environment and, for a database's own tools, the binaries of its server (native).
   * Credentials are in the launch's environment, never in its arguments.
   */
  command(service: Service, argv: string[], opts: CommandOptions): Promise<Launch>;
  /** New output lines of the services until `signal` aborts. */
  followLogs(services: Service[], onLine: (service: string, line: string) => void, signal: AbortSignal): Promise<void>;
}
