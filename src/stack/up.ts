import type { Config } from '../config/load.js';
import { hostPorts, kindOf } from '../catalog/index.js';
import type { PostgresService, Service } from '../config/schema.js';
import { ensureExtras, hasExtras } from '../db/extras.js';
import { EXIT, TmError, errorText, isTmError } from '../errors.js';
import { probeFor } from '../health/probe-for.js';
import { isAuthFailure } from '../health/probes.js';
import { waitFor } from '../health/wait-for.js';
import { isPortFree, nextFreePort, portHolder } from '../runtime/ports.js';
import type { Runtime } from '../runtime/types.js';
import { startLevels, withDependencies } from '../config/graph.js';
import { serviceUrl } from '../config/services.js';
import { listenAddress } from '../config/listen.js';
import { recordRuntime } from './select.js';
import { containerPublishing } from '../runtime/docker/port-owner.js';

export interface UpOptions {
  timeoutMs: number;
  /** When this `tm up` began (performance.now()), if it runs up() more than once. */
  startedAt?: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
  onWarning?: (message: string) => void;
  /** Postgres services whose extensions and databases a run of several up() calls has made already (bring-up's stages). */
  prepared?: Set<string>;
}

export interface UpService {
  name: string;
  kind: Service['kind'];
  state: 'started' | 'already running' | 'unmanaged';
  pid?: number;
  port?: number;
  url?: string;
  /** From the start of `tm up` until its probe passed. */
  ready_ms?: number;
}

export interface UpResult {
  project: string;
  runtime: string;
  services: UpService[];
}

/**
 * Starts what is not running, then waits until every service passes its probe. If the wait
 * is interrupted (Ctrl-C), what this run started is stopped again before the error is thrown.
 */
export async function up(config: Config, runtime: Runtime, requested: Service[], opts: UpOptions): Promise<UpResult> {
  const t0 = opts.startedAt ?? performance.now();
  // `tm up app` brings up what app depends on as well.
  const services = withDependencies(config.services, requested);
  const states = await runtime.status(services);
  const stateOf = (s: Service) => states.find((x) => x.name === s.name)?.state;
  const managed = services.filter((s) => stateOf(s) !== 'unmanaged');
  const toStart = managed.filter((s) => stateOf(s) !== 'running');

  await runtime.reclaim?.(toStart, { onProgress: opts.onProgress });
  await checkPorts(toStart, runtime.name);
  await runtime.preflight(toStart);
  await recordRuntime(config, runtime.name);

  const ready = new Map<string, number>();
  const waitReady = async (svc: Service) => {
    const probe = probeFor(svc);
    // A job (no probe: an app with no port and no health URL) that others depend on is ready once it has exited 0.
    const job = !probe && managed.some((s) => s.kind === 'app' && s.depends_on.includes(svc.name));
    if (!probe && !job) return;
    const readiness = probe ? runtime.guard(svc, probe) : runtime.jobFinished(svc);
    const remaining = Math.max(1, opts.timeoutMs - (performance.now() - t0));
    // A native server was set up by tm with the configured role: a rejected password is final.
    // (A container may still be applying POSTGRES_PASSWORD, so Docker keeps waiting.)
    const isFatal = (err: unknown) => isTmError(err) || (runtime.name === 'native' && isAuthFailure(err));
    try {
      // Through Docker's port proxy a stalled attempt is common: keep attempts short.
      // Local servers refuse at once until they listen: poll them every 5 ms.
      // The message names the user's --timeout, not what was left of it when this wait began.
      await waitFor(readiness, {
        timeoutMs: remaining,
        reportedTimeoutMs: opts.timeoutMs,
        signal: opts.signal,
        isFatal,
        attemptTimeoutMs: runtime.name === 'docker' ? 200 : 2000,
        intervalMs: runtime.name === 'docker' ? 25 : 5,
      });
    } catch (err) {
      if (isAuthFailure(err)) throw authFailed(svc, err);
      if (err instanceof TmError && err.code === 'TM_HEALTH_TIMEOUT') {
        // With the service's last log lines (and the password's fix when that was the last error).
        const hint = isAuthFailure(err.cause) ? authFailed(svc, err.cause).hint : err.hint;
        throw new TmError(err.code, err.message, { exit: EXIT.timeout, hint, cause: err.cause, details: await runtime.tailLogs(svc, 10).catch(() => []) });
      }
      throw err;
    }
    ready.set(svc.name, performance.now() - t0);
    if (svc.kind === 'postgres' && hasExtras(svc) && !opts.prepared?.has(svc.name)) {
      await applyExtras(svc, runtime.name, opts);
      opts.prepared?.add(svc.name);
    }
  };
  try {
    // Level by level: a service starts once everything it depends on answers its probe.
    for (const level of startLevels(managed)) {
      const starting = level.filter((s) => toStart.includes(s));
      if (starting.length > 0)
        await runtime.start(starting, { timeoutMs: opts.timeoutMs, signal: opts.signal, onProgress: opts.onProgress, onWarning: opts.onWarning });
      await Promise.all(level.map(waitReady));
    }
  } catch (err) {
    if (opts.signal?.aborted) {
      // Stop only what this run started; services that were already running stay up.
      await runtime.stop(toStart).catch(() => undefined);
      throw new TmError('TM_INTERRUPTED', 'interrupted: stopped the services this run had started', { exit: EXIT.interrupted, cause: err });
    }
    throw err;
  }

  const after = await runtime.status(services);
  return {
    project: config.name,
    runtime: runtime.name,
    services: services.map((svc) => {
      const st = after.find((s) => s.name === svc.name)!;
      const state: UpService['state'] = !managed.includes(svc) ? 'unmanaged' : toStart.includes(svc) ? 'started' : 'already running';
      const ms = ready.get(svc.name);
      return {
        name: svc.name,
        kind: svc.kind,
        state,
        pid: st.pid,
        port: svc.port,
        url: serviceUrl(svc),
        ready_ms: ms === undefined ? undefined : Math.round(ms),
      };
    }),
  };
}

/** A Postgres' extensions and extra databases, made once it answers; settings it runs without are said. */
async function applyExtras(svc: PostgresService, runtime: 'native' | 'docker', opts: UpOptions): Promise<void> {
  const done = await ensureExtras(svc, runtime);
  if (done.databases.length > 0) opts.onProgress?.(`${svc.name}: created database${done.databases.length === 1 ? '' : 's'} ${done.databases.join(', ')}`);
  if (done.extensions.length > 0)
    opts.onProgress?.(`${svc.name}: created extension${done.extensions.length === 1 ? '' : 's'} ${done.extensions.join(', ')} in ${svc.database}`);
  for (const s of done.stale)
    opts.onWarning?.(
      `${svc.name} runs with ${s.name} = ${s.running}, but services.${svc.testOf ?? svc.name}.settings.${s.name} is ${s.configured}: settings apply when the server starts (tm restart ${svc.name})`,
    );
}

/** Waiting does not fix a password the server rejects: say which one and how to fix it. */
function authFailed(svc: Service, cause: unknown): TmError {
  if (svc.kind === 'postgres') {
    return new TmError('TM_PG_AUTH_FAILED', `${svc.name} rejected user ${svc.user} on database ${svc.database}: ${errorText(cause)}`, {
      exit: EXIT.config,
      cause,
      hint: `the server's password for ${svc.user} differs from services.${svc.name}.password: put the old one back in the config (or ALTER ROLE ${svc.user} PASSWORD ...), or recreate the data with tm down --volumes (deletes it)`,
    });
  }
  // RabbitMQ and the official images create their user from the first start's settings only.
  return new TmError('TM_AUTH_FAILED', `${svc.name} (${kindOf(svc).title}) refused tm's login: ${errorText(cause)}`, {
    exit: EXIT.config,
    cause,
    hint:
      `its data was created with other credentials than services.${svc.name} has now: put the old ones back in the config, ` +
      `or recreate its data with tm down ${svc.name} --volumes (deletes it)`,
  });
}

/** Every port is checked before anything starts; a taken port names its holder and a free one. */
async function checkPorts(services: Service[], runtime: 'native' | 'docker'): Promise<void> {
  const wanted = services.flatMap((svc) => hostPorts(svc, runtime).map((b) => ({ svc, ...b })));
  const free = await Promise.all(wanted.map((w) => isPortFree(w.port, listenAddress(w.svc.host))));
  const taken = wanted.filter((_, i) => !free[i]);
  if (taken.length === 0) return;
  const details: string[] = [];
  const hints: string[] = [];
  const avoid = wanted.map((w) => w.port);
  for (const { svc, key, port } of taken) {
    const holder = await portHolder(port).catch(() => undefined);
    let who = holder?.pid ? `pid ${holder.pid}${holder.command ? ` (${holder.command})` : ''}` : 'another program';
    if (!holder?.pid || /docker-proxy|rootlessport|gvproxy|vpnkit/.test(holder.command ?? '')) {
      who = (await containerPublishing(port).catch(() => undefined)) ?? who;
    }
    const next = await nextFreePort(port, '127.0.0.1', avoid);
    details.push(`${svc.name}: ${key === 'port' ? 'port' : key} ${port} is taken by ${who}`);
    if (next) {
      hints.push(`services.${svc.name}.${key}: ${next}`);
      avoid.push(next);
    }
  }
  throw new TmError('TM_PORT_TAKEN', `${taken.map((t) => `port ${t.port} (${t.svc.name})`).join(', ')} already in use; nothing was started`, {
    exit: EXIT.runtime,
    details,
    hint: `stop what holds it${hints.length ? `, or set ${hints.join(', ')} in taskmaster.yml` : ''}`,
  });
}
