import type { Config } from '../config/load.js';
import { errorText } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { loadProbeLibraries, probeFor } from './probe-for.js';
import { waitFor, type Probe } from './wait-for.js';

export interface CheckResult {
  status: 'ok' | 'error';
  latency_ms: number;
  target: string;
  error?: string;
  /** The probe's error itself, for the hint a command gives (not part of --json). */
  readonly cause?: unknown;
}

/** The `tm health --json` document: a stable shape that scripts and CI read, so fields are only ever added. */
export interface HealthReport {
  status: 'ok' | 'degraded' | 'error';
  checks: Record<string, CheckResult>;
}

export interface HealthOptions {
  /** Keep polling until every probe passes or this runs out; 0 probes once. */
  waitMs?: number;
  /** Bound for one attempt. */
  attemptTimeoutMs?: number;
  services?: string[];
  clock?: Clock;
  signal?: AbortSignal;
}

/** Probes every service of the config concurrently. Never throws for a failing service. */
export async function checkHealth(config: Config, opts: HealthOptions = {}): Promise<HealthReport> {
  const services = config.services.filter((s) => !opts.services || opts.services.includes(s.name));
  await loadProbeLibraries(services);
  const probes = services.map(probeFor).filter((p): p is Probe => p !== undefined);
  return checkProbes(probes, opts);
}

/** Runs the probes concurrently, each reported under its name. Never throws for a failing probe. */
export async function checkProbes(probes: Probe[], opts: Omit<HealthOptions, 'services'> = {}): Promise<HealthReport> {
  const results = await Promise.all(probes.map((p) => runProbe(p, opts)));
  const checks: Record<string, CheckResult> = {};
  probes.forEach((p, i) => {
    checks[p.name] = results[i]!;
  });
  return { status: overall(results), checks };
}

/** One attempt of a probe, timed: how `tm health`, `tm status` and `tm doctor` each ask a service. */
export interface ProbeOutcome {
  ok: boolean;
  /** From the start of the attempt to its answer (or failure), to 0.1 ms. */
  latency_ms: number;
  /** Why it failed, as the probe threw it. */
  error?: unknown;
}

export async function probeOnce(probe: Probe, timeoutMs = 2000): Promise<ProbeOutcome> {
  const start = performance.now();
  try {
    await probe.check(timeoutMs);
    return { ok: true, latency_ms: round(performance.now() - start) };
  } catch (error) {
    return { ok: false, latency_ms: round(performance.now() - start), error };
  }
}

async function runProbe(probe: Probe, opts: Omit<HealthOptions, 'services'>): Promise<CheckResult> {
  const attemptTimeoutMs = opts.attemptTimeoutMs ?? 2000;
  const start = performance.now();
  const outcome: ProbeOutcome = !opts.waitMs
    ? await probeOnce(probe, attemptTimeoutMs)
    : await waitFor(probe, { timeoutMs: opts.waitMs, attemptTimeoutMs, clock: opts.clock, signal: opts.signal }).then(
        (r) => ({ ok: true, latency_ms: round(r.latencyMs) }),
        (error: unknown) => ({ ok: false, latency_ms: round(performance.now() - start), error }),
      );
  if (outcome.ok) return { status: 'ok', latency_ms: outcome.latency_ms, target: probe.target };
  if (opts.signal?.aborted) throw outcome.error;
  const cause = (outcome.error as { cause?: unknown } | undefined)?.cause ?? outcome.error;
  const result: CheckResult = { status: 'error', latency_ms: outcome.latency_ms, target: probe.target, error: errorText(cause) };
  return Object.defineProperty(result, 'cause', { value: cause, enumerable: false });
}

function overall(results: CheckResult[]): HealthReport['status'] {
  const ok = results.filter((r) => r.status === 'ok').length;
  if (ok === results.length) return 'ok';
  return ok === 0 ? 'error' : 'degraded';
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
