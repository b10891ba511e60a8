import type { Service } from '../config/schema.js';
import type { Probe } from '../health/wait-for.js';

/** What the runtime says about one service, read from the real processes or containers. */
export interface ServiceState {
  name: string;
  kind: Service['kind'];
  state: 'running' | 'stopped' | 'unmanaged';
  pid?: number;
  port?: number;
  /** ISO time the process was started by tm. */
  startedAt?: string;
  /** Why it is not running, e.g. "stale PID file removed: process 123 is gone". */
  detail?: string;
}

export interface StartOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Progress for the reporter ("initializing postgres data directory"). */
  onProgress?: (message: string) => void;
}

export interface StopResult {
  name: string;
  result: 'stopped' | 'killed' | 'not running';
}

/** Starts, stops, inspects and reads the logs of declared services. */
export interface Runtime {
  readonly name: 'native' | 'docker';
  status(services: Service[]): Promise<ServiceState[]>;
  /** Checks everything that can be known before starting (binaries, data version); throws TmError. */
  preflight(services: Service[]): Promise<void>;
  /**
   * Starts one service and returns once its process is up and set up (roles, databases).
   * Readiness as the app sees it is checked by the caller with the health probes.
   */
  start(service: Service, opts: StartOptions): Promise<void>;
  stop(service: Service): Promise<StopResult>;
  /** Deletes the service's data; only called after it is stopped. */
  removeData(service: Service): Promise<void>;
  /** Wraps a readiness probe so a service that died during start fails at once. */
  guard(service: Service, probe: Probe): Probe;
  /** The file holding the service's output. */
  logFile(service: Service): string;
}
