import { describe, expect, it, vi } from 'vitest';
import {
  dueStop,
  nextStop,
  stopExplanation,
  type PlannedStop,
} from '../../../src/workers/lifecycle/deadlines.js';
import {
  WorkerLifecycle,
  systemClock,
  type LifecycleClock,
} from '../../../src/workers/lifecycle/worker-lifecycle.js';

describe('the deadline rules', () => {
  const at = (readyAt: number, lastActiveAt: number, inUse = 0) => ({ readyAt, lastActiveAt, inUse });

  it('no limits: nothing planned, whatever the activity', () => {
    expect(nextStop({}, at(0, 0))).toBeUndefined();
    expect(dueStop({}, at(0, 0), 1e12)).toBeUndefined();
  });

  it('idle: the last activity plus the timeout; none while a call is in use', () => {
    expect(nextStop({ idleTimeoutMs: 5000 }, at(0, 2000))).toEqual({ at: 7000, reason: 'idle_timeout' });
    expect(nextStop({ idleTimeoutMs: 5000 }, at(0, 2000, 1))).toBeUndefined();
    expect(dueStop({ idleTimeoutMs: 5000 }, at(0, 2000), 6999)).toBeUndefined();
    expect(dueStop({ idleTimeoutMs: 5000 }, at(0, 2000), 7000)).toEqual({ at: 7000, reason: 'idle_timeout' });
  });

  it('lifetime: from ready, whatever the activity, even during a call', () => {
    const limits = { maxLifetimeMs: 60_000 };
    expect(nextStop(limits, at(1000, 50_000, 2))).toEqual({ at: 61_000, reason: 'max_lifetime' });
    expect(dueStop(limits, at(1000, 61_000, 1), 61_000)).toEqual({ at: 61_000, reason: 'max_lifetime' });
  });

  it('both: the earlier wins; a tie is the lifetime', () => {
    const limits = { idleTimeoutMs: 10_000, maxLifetimeMs: 60_000 };
    expect(nextStop(limits, at(0, 0))).toEqual({ at: 10_000, reason: 'idle_timeout' });
    expect(nextStop(limits, at(0, 55_000))).toEqual({ at: 60_000, reason: 'max_lifetime' });
    expect(nextStop(limits, at(0, 50_000))).toEqual({ at: 60_000, reason: 'max_lifetime' });
    expect(nextStop(limits, at(0, 0, 1))).toEqual({ at: 60_000, reason: 'max_lifetime' });
  });

  it('explanations name the setting and its value', () => {
    expect(stopExplanation('idle_timeout', { idleTimeoutMs: 300_000 })).toBe(
      'no tool call used it for 300 s (idle_timeout_seconds)',
    );
    expect(stopExplanation('max_lifetime', { maxLifetimeMs: 7_200_000 })).toBe(
      'it reached its maximum lifetime of 7200 s (max_lifetime_seconds)',
    );
  });
});

/** A clock whose time moves only when the test says, running due timers in time order. */
function fakeClock(start = 1_000_000): LifecycleClock & { advance(ms: number): void; pending(): number } {
  let now = start;
  let timers: Array<{ at: number; fn: () => void }> = [];
  return {
    now: () => now,
    schedule(fn, ms) {
      const t = { at: now + ms, fn };
      timers.push(t);
      return () => {
        timers = timers.filter((x) => x !== t);
      };
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.fn();
      }
      now = end;
    },
    pending: () => timers.length,
  };
}

describe('a worker lifecycle', () => {
  function start(limits: { idleTimeoutMs?: number; maxLifetimeMs?: number }) {
    const clock = fakeClock();
    const fired: Array<PlannedStop & { after: number }> = [];
    const t0 = clock.now();
    const lc = new WorkerLifecycle(limits, (s) => fired.push({ ...s, after: clock.now() - t0 }), clock);
    return { clock, fired, lc, t0 };
  }

  it('no limits: no timer at all', () => {
    const { clock, lc } = start({});
    lc.touch();
    lc.begin()();
    expect(clock.pending()).toBe(0);
    expect(lc.details()).toEqual({});
  });

  it('idle: fires once, at the timeout after the last touch', () => {
    const { clock, fired, lc } = start({ idleTimeoutMs: 5000 });
    clock.advance(4000);
    lc.touch(); // moves the stop to 9000
    clock.advance(4999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([{ at: 1_009_000, reason: 'idle_timeout', after: 9000 }]);
    clock.advance(100_000);
    expect(fired).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });

  it('idle never fires during a call; the clock restarts when the last call ends', () => {
    const { clock, fired, lc } = start({ idleTimeoutMs: 5000 });
    const endA = lc.begin();
    const endB = lc.begin();
    clock.advance(60_000);
    endA();
    endA(); // a second end is ignored
    clock.advance(60_000);
    expect(fired).toEqual([]);
    endB();
    clock.advance(4999);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired.map((f) => [f.reason, f.after])).toEqual([['idle_timeout', 125_000]]);
  });

  it('lifetime fires during a call', () => {
    const { clock, fired, lc } = start({ idleTimeoutMs: 5000, maxLifetimeMs: 20_000 });
    lc.begin();
    clock.advance(20_000);
    expect(fired.map((f) => [f.reason, f.after])).toEqual([['max_lifetime', 20_000]]);
  });

  it('a call ending brings the idle stop before an armed lifetime stop', () => {
    const { clock, fired, lc } = start({ idleTimeoutMs: 5000, maxLifetimeMs: 100_000 });
    const end = lc.begin(); // only the lifetime stop is planned now
    clock.advance(10_000);
    end();
    clock.advance(5000);
    expect(fired.map((f) => [f.reason, f.after])).toEqual([['idle_timeout', 15_000]]);
  });

  it('touches keep it alive until the lifetime', () => {
    const { clock, fired, lc } = start({ idleTimeoutMs: 5000, maxLifetimeMs: 30_000 });
    for (let i = 0; i < 10; i++) {
      clock.advance(4000);
      lc.touch();
    }
    expect(fired.map((f) => [f.reason, f.after])).toEqual([['max_lifetime', 30_000]]);
  });

  it('details: the configured values, and the planned stop as an ISO time with its reason', () => {
    const { clock, lc, t0 } = start({ idleTimeoutMs: 300_000, maxLifetimeMs: 3_600_000 });
    expect(lc.details()).toEqual({
      idle_timeout_seconds: 300,
      max_lifetime_seconds: 3600,
      stops_at: new Date(t0 + 300_000).toISOString(),
      stop_reason: 'idle_timeout',
    });
    const end = lc.begin();
    expect(lc.details()).toMatchObject({
      stops_at: new Date(t0 + 3_600_000).toISOString(),
      stop_reason: 'max_lifetime',
    });
    end();
    clock.advance(1000);
    expect(lc.details().stops_at).toBe(new Date(t0 + 300_000).toISOString());
  });

  it('dispose: no stop after it, no timer left', () => {
    const { clock, fired, lc } = start({ idleTimeoutMs: 5000, maxLifetimeMs: 10_000 });
    lc.dispose();
    lc.touch();
    lc.begin()();
    clock.advance(1e9);
    expect(fired).toEqual([]);
    expect(clock.pending()).toBe(0);
    expect(lc.details()).toEqual({ idle_timeout_seconds: 5, max_lifetime_seconds: 10 });
  });

  it('a deadline beyond the longest timer is reached in steps', () => {
    const days = 24 * 3600_000;
    const { clock, fired } = start({ maxLifetimeMs: 30 * days });
    clock.advance(30 * days - 1);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired.map((f) => f.after)).toEqual([30 * days]);
  });

  it('the real clock does not keep the process alive, and cancels', () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    let ran = false;
    const cancel = systemClock.schedule(() => (ran = true), 0);
    const timer = spy.mock.results[0]!.value as NodeJS.Timeout;
    spy.mockRestore();
    expect(timer.hasRef()).toBe(false);
    cancel();
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        expect(ran).toBe(false);
        resolve();
      }, 20),
    );
  });
});
