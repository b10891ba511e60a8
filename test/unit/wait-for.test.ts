import { describe, expect, it } from 'vitest';
import { waitFor, type Probe } from '../../src/health/wait-for.js';
import type { Clock } from '../../src/util/clock.js';

/** A clock that only moves when the code under test sleeps (or a probe takes time). */
function fakeClock(): Clock & { sleeps: number[]; advance(ms: number): void } {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    advance: (ms) => (t += ms),
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

function failingProbe(times: number, clock: ReturnType<typeof fakeClock>, costMs = 0): Probe & { calls: number[] } {
  const calls: number[] = [];
  return {
    name: 'svc',
    target: 'test',
    calls,
    async check() {
      calls.push(clock.now());
      clock.advance(costMs);
      if (calls.length <= times) throw new Error(`refused #${calls.length}`);
    },
  };
}

describe('waitFor', () => {
  it('polls no more often than every 25 ms and returns once the probe passes', async () => {
    const clock = fakeClock();
    const probe = failingProbe(4, clock, 5);
    const r = await waitFor(probe, { timeoutMs: 10_000, clock });
    expect(r.attempts).toBe(5);
    expect(probe.calls).toEqual([0, 25, 50, 75, 100]);
    expect(clock.sleeps.every((s) => s === 20)).toBe(true); // 25 ms minus the 5 ms attempt
  });

  it('times out with exit 5, naming the probe and its last error', async () => {
    const clock = fakeClock();
    const probe = failingProbe(Infinity, clock);
    await expect(waitFor(probe, { timeoutMs: 100, clock })).rejects.toMatchObject({
      code: 'TM_HEALTH_TIMEOUT',
      exit: 5,
      message: expect.stringMatching(/^svc not ready after 100 ms: refused #\d+$/),
    });
    expect(clock.now()).toBe(100);
  });

  it('keeps the real error when the last, deadline-clipped attempt times out a little early', async () => {
    const clock = fakeClock();
    // A server that rejects the password after 30 ms; an attempt with less time than that
    // times out, and its timer fires half a millisecond early (as real timers can).
    const probe: Probe = {
      name: 'postgres',
      target: 't',
      async check(budget) {
        if (budget < 30) {
          clock.advance(budget - 0.5);
          throw new Error(`postgres probe timed out after ${Math.round(budget)} ms`);
        }
        clock.advance(30);
        throw new Error('password authentication failed for user "app"');
      },
    };
    await expect(waitFor(probe, { timeoutMs: 100, clock })).rejects.toMatchObject({
      code: 'TM_HEALTH_TIMEOUT',
      message: 'postgres not ready after 100 ms: password authentication failed for user "app"',
    });
  });

  it('does report an error that a clipped attempt got before its time ran out', async () => {
    const clock = fakeClock();
    let calls = 0;
    const probe: Probe = {
      name: 'postgres',
      target: 't',
      async check() {
        calls++;
        clock.advance(5);
        throw new Error(calls < 3 ? 'connect ECONNREFUSED 127.0.0.1:5432' : 'password authentication failed');
      },
    };
    // Every attempt is clipped (100 ms < the 2 s attempt bound), yet each answers in 5 ms.
    await expect(waitFor(probe, { timeoutMs: 100, clock })).rejects.toThrow(/after 100 ms: password authentication failed$/);
  });

  it('gives an attempt that ran out of time twice as long the next time: a slow answer is still seen', async () => {
    const clock = fakeClock();
    // A server that answers, but only after 700 ms (a loaded machine): attempts of 200 ms never see it.
    const probe: Probe = {
      name: 'postgres',
      target: 'test',
      async check(timeoutMs) {
        clock.advance(Math.min(timeoutMs, 700));
        if (timeoutMs < 700) throw new Error('timeout expired');
      },
    };
    const r = await waitFor(probe, { timeoutMs: 10_000, attemptTimeoutMs: 200, clock });
    expect(r.attempts).toBe(3); // 200 ms, 400 ms, then 800 ms: enough
    expect(r.latencyMs).toBe(700);
  });

  it('stops at once when aborted', async () => {
    const clock = fakeClock();
    const controller = new AbortController();
    const probe: Probe = {
      name: 'svc',
      target: 't',
      async check() {
        controller.abort(new Error('stop'));
        throw new Error('no');
      },
    };
    await expect(waitFor(probe, { timeoutMs: 10_000, clock, signal: controller.signal })).rejects.toThrow('stop');
  });
});
