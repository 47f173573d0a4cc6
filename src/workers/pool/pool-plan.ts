import { randomBytes } from 'node:crypto';
import type { SessionCreationConfig } from '../../config/schema.js';
import { resolveCreateRequest, type CreatePlan, type ResolveOptions } from '../params/resolve.js';
import { poolDefaults, poolFieldName } from './pool-settings.js';

/** What the pool keeps started: how many, within which limit, and the plan each pooled worker starts with. */
export interface PoolSpec {
  size: number;
  /** max_concurrent_sessions (pooled workers take slots: pool-sizing.ts). */
  max: number;
  /** The resolved plan a create is matched against (pool-match.ts). */
  template: CreatePlan;
  /** A fresh plan for the next pooled worker: its own name and, unless the config names one, its own PSK. */
  next(): CreatePlan;
}

/** Pooled workers are named `warm-pool.<hex>` until claimed (a session name users are unlikely to choose). */
const POOL_NAME_PREFIX = 'warm-pool.';

export function poolWorkerName(): string {
  return `${POOL_NAME_PREFIX}${randomBytes(6).toString('hex')}`;
}

/**
 * The pool the config asks for, or undefined when it asks for none. Resolved through the same resolver as a
 * create (the pool's values are the operator's, so no host policy applies); throws the resolver's error, naming
 * the config field, when this machine cannot run the pool's workers.
 */
export function poolSpec(
  creation: SessionCreationConfig | undefined,
  opts: Pick<ResolveOptions, 'env' | 'machine'> = {},
): PoolSpec | undefined {
  const pool = creation?.warm_pool;
  if (!creation || !pool || pool.size === 0 || creation.max_concurrent_sessions === 0) return undefined;
  const merged = { ...creation, defaults: poolDefaults(creation.defaults, pool) };
  const resolve = (): CreatePlan =>
    resolveCreateRequest({ session_name: poolWorkerName() }, merged, {
      ...opts,
      defaultName: poolFieldName(pool),
    });
  return { size: pool.size, max: creation.max_concurrent_sessions, template: resolve(), next: resolve };
}
