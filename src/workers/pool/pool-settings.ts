import { z } from 'zod';
import { crossFieldProblems } from '../params/cross-field.js';
import { creationDefaultsShape, type CreationDefaultsShape } from '../params/derive.js';
import { describe, type ParamName } from '../params/model.js';
import { DEFAULTS_PATH } from '../params/resolve.js';

/**
 * community.session_creation.warm_pool: how many workers to keep started and waiting, and the parameters they
 * start with. Each parameter defaults to session_creation.defaults and may be overridden here, with the same
 * keys and bounds (derived from the one parameter model), except the PSK: every pooled worker gets its own
 * (generated, or the one the defaults configure).
 */

export const POOL_SIZE_MAX = 16;
const POOL_PATH = 'community.session_creation.warm_pool';

/** Pairs where giving one member replaces the other: an override of one drops the default of the other. */
const REPLACES: ReadonlyArray<readonly [ParamName, ParamName]> = [
  ['docker_image', 'programming_language'],
  ['programming_language', 'docker_image'],
];

/**
 * Config parameters a pool does not take: the PSK (each pooled worker gets its own) and the limits of a session's
 * life (idle timeout, lifetime: a claimed worker gets the create's own, from the claim on).
 */
const NOT_POOLED = [
  'auth_token',
  'auth_token_env_var',
  'idle_timeout_seconds',
  'max_lifetime_seconds',
] as const;

/** The warm_pool keys: `size` plus every config parameter that shapes the worker. */
export function warmPoolShape() {
  const params = Object.fromEntries(
    Object.entries(creationDefaultsShape()).filter(([k]) => !(NOT_POOLED as readonly string[]).includes(k)),
  ) as Omit<CreationDefaultsShape, (typeof NOT_POOLED)[number]>;
  return {
    size: z
      .number({ error: (iss) => `expected a whole number, got ${describe(iss.input)}` })
      .int({ error: 'must be a whole number' })
      .min(0, { error: 'must be 0 (no pool) or more' })
      .max(POOL_SIZE_MAX, { error: `must be at most ${POOL_SIZE_MAX}` }),
    ...params,
  };
}

type Values = Record<string, unknown>;

/** What the pool section gives on top of `size`: the overridden parameters. */
export function poolOverrides(pool: Values): Values {
  const { size: _size, ...rest } = pool;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
}

/**
 * The defaults a pooled worker is resolved with: session_creation.defaults, each key the pool overrides replaced
 * (null clears it), and the partner of an exclusive pair dropped when the pool gives the other member.
 */
export function poolDefaults<D extends Values>(defaults: D, pool: Values): D {
  const overrides = poolOverrides(pool);
  const merged: Values = { ...defaults };
  for (const [key, other] of REPLACES) if (key in overrides && !(other in overrides)) delete merged[other];
  return { ...merged, ...overrides } as D;
}

/** Where a merged value came from, as a full config path (for messages). */
export function poolFieldName(pool: Values): (p: ParamName) => string {
  const overrides = poolOverrides(pool);
  return (p) => (p in overrides ? `${POOL_PATH}.${p}` : `${DEFAULTS_PATH}.${p}`);
}

/** One problem of the pool section, with its path inside session_creation (for a config issue). */
export interface PoolProblem {
  path: string[];
  message: string;
}

/**
 * The rules the pool section must keep beyond each key's own bounds: its size within max_concurrent_sessions
 * (pooled workers take slots, docs/configuration.md), and the cross-field rules on the merged parameters.
 * Problems the defaults have on their own are reported on the defaults, not again here.
 */
export function poolProblems(creation: {
  max_concurrent_sessions: number;
  defaults: Values;
  warm_pool?: Values;
}): PoolProblem[] {
  const pool = creation.warm_pool;
  if (!pool) return [];
  const out: PoolProblem[] = [];
  const size = typeof pool.size === 'number' ? pool.size : 0;
  if (size > creation.max_concurrent_sessions)
    out.push({
      path: ['warm_pool', 'size'],
      message: `${size} is more than max_concurrent_sessions (${creation.max_concurrent_sessions}): pooled workers take session slots; lower the size or raise the limit`,
    });
  const merged = poolDefaults(creation.defaults, pool);
  const present = (v: Values) =>
    new Set((Object.keys(v) as ParamName[]).filter((k) => v[k] !== undefined && v[k] !== null));
  const own = new Set(
    crossFieldProblems({
      values: creation.defaults,
      explicit: present(creation.defaults),
      fieldName: (p) => `${DEFAULTS_PATH}.${p}`,
    }).map((p) => `${p.field}\n${p.message}`),
  );
  const name = poolFieldName(pool);
  for (const p of crossFieldProblems({ values: merged, explicit: present(merged), fieldName: name })) {
    if (own.has(`${p.field}\n${p.message}`)) continue;
    const key = p.field.slice(POOL_PATH.length + 1);
    if (p.field.startsWith(`${POOL_PATH}.`)) out.push({ path: ['warm_pool', key], message: p.message });
    else out.push({ path: ['warm_pool'], message: `for pooled workers, ${p.field}: ${p.message}` });
  }
  return out;
}
