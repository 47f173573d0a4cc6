import {
  dueStop,
  nextStop,
  type ActivityState,
  type LifecycleLimits,
  type PlannedStop,
  type StopReason,
} from './deadlines.js';

/** Time as the lifecycle sees it; tests pass their own. */
export interface LifecycleClock {
  now(): number;
  /** Runs `fn` after `ms`; returns how to cancel. Must not keep the process alive. */
  schedule(fn: () => void, ms: number): () => void;
}

/** setTimeout's longest delay; a later deadline is reached in several steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: LifecycleClock = {
  now: () => Date.now(),
  schedule(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref(); // a pending stop never keeps the server running
    return () => clearTimeout(t);
  },
};

/** What session_details shows about a created worker's limits (absent keys: no limit, nothing planned). */
export interface LifecycleDetails {
  idle_timeout_seconds?: number;
  max_lifetime_seconds?: number;
  /** When the worker will be stopped if nothing changes (ISO 8601); absent while no stop is planned. */
  stops_at?: string;
  stop_reason?: StopReason;
}

/**
 * The idle timeout and maximum lifetime of one created worker: records activity and calls `onExpire` once when
 * a limit is reached. One timer at most, armed for the earliest planned stop and not re-armed on every call
 * (a touch only moves stops later): when it fires it checks again and re-arms if the stop moved. Disposed when the session stops for any reason (delete, reload, shutdown, expiry).
 */
export class WorkerLifecycle {
  private readonly state: ActivityState;
  /** The armed timer and when it fires. */
  private timer: { at: number; cancel: () => void } | undefined;
  private done = false;

  constructor(
    readonly limits: LifecycleLimits,
    private readonly onExpire: (stop: PlannedStop) => void,
    private readonly clock: LifecycleClock = systemClock,
  ) {
    const now = clock.now();
    this.state = { readyAt: now, lastActiveAt: now, inUse: 0 };
    this.arm();
  }

  /** A call addressed the session. */
  touch(): void {
    if (this.done) return;
    this.state.lastActiveAt = Math.max(this.state.lastActiveAt, this.clock.now());
    this.arm();
  }

  /** A call is using the worker until the returned function is called (idempotent). */
  begin(): () => void {
    if (this.done) return () => undefined;
    this.state.inUse++;
    this.touch();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.state.inUse--;
      this.touch();
    };
  }

  /** The stop planned now, if nothing changes. */
  planned(): PlannedStop | undefined {
    return this.done ? undefined : nextStop(this.limits, this.state);
  }

  details(): LifecycleDetails {
    const next = this.planned();
    const { idleTimeoutMs, maxLifetimeMs } = this.limits;
    return {
      ...(idleTimeoutMs !== undefined ? { idle_timeout_seconds: idleTimeoutMs / 1000 } : {}),
      ...(maxLifetimeMs !== undefined ? { max_lifetime_seconds: maxLifetimeMs / 1000 } : {}),
      ...(next ? { stops_at: new Date(next.at).toISOString(), stop_reason: next.reason } : {}),
    };
  }

  /** No more stops: the session is going away. */
  dispose(): void {
    this.done = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /**
   * Arms the timer for the planned stop, unless one is armed that fires no later than it. Touches move stops
   * later and keep the timer; the end of the last call in use can bring the idle stop before an armed lifetime
   * stop, and then the timer is moved.
   */
  private arm(): void {
    if (this.done) return;
    const next = nextStop(this.limits, this.state);
    if (!next) return;
    if (this.timer && this.timer.at <= next.at) return;
    this.timer?.cancel();
    const delay = Math.min(Math.max(next.at - this.clock.now(), 0), MAX_TIMER_MS);
    this.timer = { at: this.clock.now() + delay, cancel: this.clock.schedule(() => this.check(), delay) };
  }

  private check(): void {
    this.timer = undefined;
    if (this.done) return;
    const due = dueStop(this.limits, this.state, this.clock.now());
    if (!due) {
      this.arm();
      return;
    }
    this.dispose();
    this.onExpire(due);
  }
}
