import { EXIT, TmError, errorText, isTmError } from '../errors.js';
import { systemClock, type Clock } from '../util/clock.js';
import { formatDuration } from '../util/duration.js';

/** Something that is ready or not: `check` resolves when usable and throws why not. */
export interface Probe {
  /** Service name, e.g. `postgres`. */
  name: string;
  /** What is probed, for messages: `postgres://app@127.0.0.1:5432/app`, `tcp 127.0.0.1:3000`. */
  target: string;
  check(timeoutMs: number): Promise<void>;
}

export interface WaitOptions {
  timeoutMs: number;
  /** Minimum time between attempt starts; readiness is noticed within this. */
  intervalMs?: number;
  /** Upper bound for one attempt. */
  attemptTimeoutMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
  /** Errors that end the wait at once (default: TmError, e.g. "the server exited"). */
  isFatal?: (error: unknown) => boolean;
  /** Called after each failed attempt (for progress output). */
  onAttempt?: (error: unknown, attempt: number) => void;
  /** The fix a timeout suggests (default: the probed service's log). */
  hint?: string;
  /** The timeout a timeout names, when this wait is the rest of a longer one (tm up's --timeout). */
  reportedTimeoutMs?: number;
}

export interface WaitResult {
  attempts: number;
  /** Time from the start of waiting until the successful attempt finished. */
  elapsedMs: number;
  /** Duration of the successful attempt. */
  latencyMs: number;
}

export const DEFAULT_INTERVAL_MS = 25;
/** How long one attempt may grow to when attempts keep running out of time. */
const MAX_ATTEMPT_MS = 5000;
/** How much earlier than asked a timer may fire (ms rounding of the event loop's clock). */
const TIMER_SLACK_MS = 3;

/**
 * Polls `probe` until it passes or `timeoutMs` runs out. Attempts start at most every
 * `intervalMs` (25 ms: probes are cheap, and users notice seconds). On timeout throws
 * TM_HEALTH_TIMEOUT (exit 5) with the probe's last error.
 */
export async function waitFor(probe: Probe, opts: WaitOptions): Promise<WaitResult> {
  const clock = opts.clock ?? systemClock;
  const interval = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
  let attemptTimeout = opts.attemptTimeoutMs ?? 2000;
  const start = clock.now();
  const deadline = start + opts.timeoutMs;
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    const attemptStart = clock.now();
    const budget = Math.max(1, Math.min(attemptTimeout, deadline - attemptStart));
    try {
      await probe.check(budget);
      const end = clock.now();
      return { attempts: attempt, elapsedMs: end - start, latencyMs: end - attemptStart };
    } catch (err) {
      if ((opts.isFatal ?? isTmError)(err)) throw err;
      // An attempt whose budget the deadline clipped, and that used it up, most likely timed
      // out for want of time: it says less than the full answer before it. Timers may fire
      // a little before the deadline, so "used it up" allows some slack.
      const clipped = budget < attemptTimeout;
      const usedUp = clock.now() - attemptStart >= budget - TIMER_SLACK_MS;
      if (!(clipped && usedUp && lastError !== undefined)) lastError = err;
      // An attempt that used its whole budget may have needed more (a loaded machine, SCRAM
      // through Docker's proxy): the next one gets twice as long, so readiness is still seen.
      if (usedUp && !clipped) attemptTimeout = Math.min(attemptTimeout * 2, MAX_ATTEMPT_MS);
      opts.onAttempt?.(err, attempt);
    }
    const now = clock.now();
    if (now >= deadline) throw timeoutError(probe, opts.reportedTimeoutMs ?? opts.timeoutMs, lastError, opts.hint);
    await clock.sleep(Math.min(Math.max(0, attemptStart + interval - now), deadline - now), opts.signal);
  }
}

function timeoutError(probe: Probe, timeoutMs: number, lastError: unknown, hint = `tm logs ${probe.name}`): TmError {
  return new TmError('TM_HEALTH_TIMEOUT', `${probe.name} not ready after ${formatDuration(timeoutMs)}: ${errorText(lastError)}`, {
    exit: EXIT.timeout,
    hint,
    cause: lastError,
  });
}

/** Rejects with a timeout error if `promise` takes longer than `ms`; `cleanup` runs either way. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string, cleanup?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  promise.catch(() => {}); // a late rejection after the timeout is not "unhandled"
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms)} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
    cleanup?.();
  }
}
