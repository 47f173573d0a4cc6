/**
 * How big the warm pool may be right now. Pooled workers take session slots: sessions, creates under way and
 * pooled workers together never exceed max_concurrent_sessions, so the limit bounds every JVM dh-mcp runs (and
 * their memory). The pool only ever uses slots nobody else needs: it never makes a create fail on the limit,
 * and a create that needs a slot the pool holds takes it (a pooled worker is stopped).
 */
export interface PoolCounts {
  /** warm_pool.size. */
  size: number;
  /** max_concurrent_sessions. */
  max: number;
  /** Created sessions plus creates under way (each holds a reservation). */
  occupied: number;
  /** Pooled workers, ready or starting. */
  pooled: number;
}

/** The number of pooled workers wanted now: the size, within the slots left. */
export function poolTarget(c: Pick<PoolCounts, 'size' | 'max' | 'occupied'>): number {
  return Math.max(0, Math.min(c.size, c.max - c.occupied));
}

/** Positive: start that many pooled workers; negative: stop that many; zero: nothing to do. */
export function poolAdjustment(c: PoolCounts): number {
  return poolTarget(c) - c.pooled;
}

/** Milliseconds to wait before the next start after `failures` pooled starts failed in a row (none: no wait). */
export function retryDelayMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(5_000 * 2 ** (failures - 1), 300_000);
}
