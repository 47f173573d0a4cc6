/**
 * When a created worker is stopped on its own: the pure rules, with time passed in (epoch ms), so they are
 * tested without clocks or workers.
 *
 * - Idle timeout: no tool call addressed the session for `idleTimeoutMs`. A call under way is activity: the idle
 *   clock stands still while one runs and restarts when the last one ends, so it never fires during a call.
 * - Maximum lifetime: `maxLifetimeMs` after the session was handed to its creator. It fires even during a call
 *   (that call then fails, saying the worker was stopped for its lifetime): a lifetime is a hard bound.
 */

export const STOP_REASONS = ['idle_timeout', 'max_lifetime'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** The configured limits; undefined = no limit. */
export interface LifecycleLimits {
  idleTimeoutMs?: number;
  maxLifetimeMs?: number;
}

/** What the rules need to know about a session's use. */
export interface ActivityState {
  /** When the session was handed out (the create returned). */
  readyAt: number;
  /** When a call last addressed the session, or the last call under way ended. */
  lastActiveAt: number;
  /** Calls using the worker right now. */
  inUse: number;
}

export interface PlannedStop {
  at: number;
  reason: StopReason;
}

/** The next stop the limits plan for this state, or undefined when none is planned (no limits, or idle in use). */
export function nextStop(limits: LifecycleLimits, s: ActivityState): PlannedStop | undefined {
  const lifetime: PlannedStop | undefined =
    limits.maxLifetimeMs === undefined
      ? undefined
      : { at: s.readyAt + limits.maxLifetimeMs, reason: 'max_lifetime' };
  const idle: PlannedStop | undefined =
    limits.idleTimeoutMs === undefined || s.inUse > 0
      ? undefined
      : { at: s.lastActiveAt + limits.idleTimeoutMs, reason: 'idle_timeout' };
  if (!lifetime) return idle;
  if (!idle) return lifetime;
  // On a tie the lifetime is the reason: it would have fired whatever the activity.
  return idle.at < lifetime.at ? idle : lifetime;
}

/** The stop that is due at `now`, if any. */
export function dueStop(limits: LifecycleLimits, s: ActivityState, now: number): PlannedStop | undefined {
  const next = nextStop(limits, s);
  return next && next.at <= now ? next : undefined;
}

/** What a person reads about a stop, e.g. in the log line and in the error of a call the stop interrupted. */
export function stopExplanation(reason: StopReason, limits: LifecycleLimits): string {
  const seconds = (ms: number | undefined): string => `${Math.round((ms ?? 0) / 1000)} s`;
  return reason === 'idle_timeout'
    ? `no tool call used it for ${seconds(limits.idleTimeoutMs)} (idle_timeout_seconds)`
    : `it reached its maximum lifetime of ${seconds(limits.maxLifetimeMs)} (max_lifetime_seconds)`;
}
