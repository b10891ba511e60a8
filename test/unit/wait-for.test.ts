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
