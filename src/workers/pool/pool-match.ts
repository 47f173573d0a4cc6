import { timingSafeEqual } from 'node:crypto';
import type { CreatePlan } from '../params/resolve.js';

/**
 * When a create may be served by a pooled worker: the two resolved plans start the same worker. Compared is
 * everything in the plan except what only concerns the session or the start-up itself:
 * - the name (the pooled worker is renamed to the session's);
 * - a generated PSK (each pooled worker has its own; the caller never knew the one its plan drew). A PSK the
 *   caller named (`auth_token`) never matches; one from the config matches only the same token from the config;
 * - start-up tuning (timeouts, login retries, pull timeout): the pooled worker has already started;
 * - the idle timeout and maximum lifetime: the server applies the request's own from the claim on.
 * Everything else must be equal: launch method, language, auth type, heap, JVM arguments, environment, image,
 * pull policy, memory and CPU limits, volumes, venv. A field added to CreatePlan later takes part unless it is
 * listed here, so a new worker-shaping parameter can never be ignored by mistake.
 */
export function planMatches(pooled: CreatePlan, request: CreatePlan): boolean {
  return (
    sameCredential(pooled, request) && canonical(workerShape(pooled)) === canonical(workerShape(request))
  );
}

/** The plan minus the fields that do not shape the worker (see planMatches). */
function workerShape(plan: CreatePlan): Record<string, unknown> {
  const {
    name: _name,
    token: _token,
    tokenSource,
    startup: _startup,
    lifecycle: _lifecycle,
    docker: { pullTimeoutMs: _pullTimeout, ...docker },
    python,
    ...rest
  } = plan;
  return {
    ...rest,
    tokenSource,
    // What the other launch method would use is resolved too, but does not shape this worker.
    docker: plan.method === 'docker' ? docker : undefined,
    python: plan.method === 'python' ? python : undefined,
  };
}

function sameCredential(a: CreatePlan, b: CreatePlan): boolean {
  if (a.auth !== b.auth || a.tokenSource !== b.tokenSource) return false;
  if (a.auth !== 'PSK' || a.tokenSource === 'generated') return true;
  if (a.tokenSource === 'argument') return false; // a pool never starts with a caller's token
  const x = Buffer.from(a.token ?? '');
  const y = Buffer.from(b.token ?? '');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** JSON with object keys sorted (environment variables given in another order are the same environment). */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(
          Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : val,
  );
}
