import { logger } from '../../util/logger.js';
import type { CreatePlan } from '../params/resolve.js';
import { stopWorker, type ClaimedWorker, type WarmPool } from './warm-pool.js';

/**
 * Takes a pooled worker for a request whose plan matches the pool's, checked alive first: a pooled worker whose
 * process or container ended, or whose login connection dropped, is stopped (cleaned up) and the next one
 * tried. Undefined when none matches or none is left: the caller starts a fresh worker.
 */
export async function claimPooled(pool: WarmPool, plan: CreatePlan): Promise<ClaimedWorker | undefined> {
  for (;;) {
    const w = pool.take(plan);
    if (!w) return undefined;
    if (w.connection.usable && (await w.handle.isAlive())) return w;
    logger.warn({ pooled: w.poolName }, 'warm pool: a pooled worker died while waiting; trying the next');
    await stopWorker(w);
  }
}
