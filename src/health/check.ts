import type { Config } from '../config/load.js';
import { errorText } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { loadProbeLibraries, probeFor } from './probes.js';
import { waitFor, type Probe } from './wait-for.js';

export interface CheckResult {
  status: 'ok' | 'error';
  latency_ms: number;
  target: string;
  error?: string;
}

/** The `tm health --json` document (shape fixed in DESIGN.md). */
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
  const probes = services
    .map(probeFor)
    .filter((p): p is Probe => p !== undefined);
  return checkProbes(probes, opts);
}

/** Runs the probes concurrently, each reported under its name. Never throws for a failing probe. */
export async function checkProbes(probes: Probe[], opts: Omit<HealthOptions, 'services'> = {}): Promise<HealthReport> {
  const results = await Promise.all(probes.map((p) => runProbe(p, opts)));
  const checks: Record<string, CheckResult> = {};
  probes.forEach((p, i) => (checks[p.name] = results[i]!));
  return { status: overall(results), checks };
}

async function runProbe(probe: Probe, opts: Omit<HealthOptions, 'services'>): Promise<CheckResult> {
  const attemptTimeoutMs = opts.attemptTimeoutMs ?? 2000;
  const start = performance.now();
  try {
    if (!opts.waitMs) {
      await probe.check(attemptTimeoutMs);
      return { status: 'ok', latency_ms: round(performance.now() - start), target: probe.target };
    }
    const r = await waitFor(probe, { timeoutMs: opts.waitMs, attemptTimeoutMs, clock: opts.clock, signal: opts.signal });
    return { status: 'ok', latency_ms: round(r.latencyMs), target: probe.target };
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    const cause = (err as { cause?: unknown }).cause ?? err;
    return { status: 'error', latency_ms: round(performance.now() - start), target: probe.target, error: errorText(cause) };
  }
}

function overall(results: CheckResult[]): HealthReport['status'] {
  const ok = results.filter((r) => r.status === 'ok').length;
  if (ok === results.length) return 'ok';
  return ok === 0 ? 'error' : 'degraded';
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
