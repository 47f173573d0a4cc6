import type { CredentialRetrievalMode, SessionCreationConfig } from '../config/schema.js';
import type { CreateArgs } from './params/model.js';
import { resolveCreateRequest, type CreatePlan } from './params/resolve.js';
import { makeSessionId } from '../sessions/session-id.js';
import type { SessionRegistry } from '../sessions/registry.js';
import { InvalidRequestError, NotFoundError, withContext } from '../util/errors.js';
import { quote } from '../util/quote.js';
import type { CommunityPolicy } from './params/policy.js';
import { logger } from '../util/logger.js';
import { logBrowserAccess } from './browser-banner.js';
import type { DriverSet } from './drivers/index.js';
import { DynamicSession } from './dynamic-session.js';
import { LaunchError } from './launch-error.js';
import { stopExplanation } from './lifecycle/deadlines.js';
import type { ProgressFn } from './progress.js';
import type { Reservations } from './reservations.js';
import { claimPooled } from './pool/pool-claim.js';
import type { PoolSpec } from './pool/pool-plan.js';
import { WarmPool, type ClaimedWorker, type PoolStatus } from './pool/warm-pool.js';
import { cancelReason, startWorker, type WorkerTracking } from './start-worker.js';

/** Where the service records its workers (InstanceTracker implements it). */
export interface ServiceTracker extends WorkerTracking {
  /** Labels for a resource owned by this process (containers carry them). */
  ownerLabels(name: string): Record<string, string>;
}

export interface WorkerServiceDeps {
  registry: SessionRegistry;
  reservations: Reservations;
  tracker: ServiceTracker;
  drivers: DriverSet;
  /** Creates wait for this (the start-up orphan sweep, which may free names and ports). */
  sweepGate: Promise<unknown>;
}

/** What the current configuration says about creation; read at each call, so a reload applies at once. */
export interface CreationSettings {
  /** The session_creation section (undefined: creation not configured). */
  creation: SessionCreationConfig | undefined;
  credentialMode: CredentialRetrievalMode;
  /** What a tool call may ask of the host (security.community); checked against the call's own values. */
  policy: CommunityPolicy;
}

/** The answer of a delete (and what an expired lifecycle logs). */
export type DeleteResult = {
  session_id: string;
  session_name: string;
  worker_stopped: boolean;
  note?: string;
  kept?: string[];
};

export interface CreateOptions {
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

/** One create call on its way: what to start, the session it becomes, and how the caller follows it. */
interface CreateCall {
  plan: CreatePlan;
  id: string;
  credentialMode: CredentialRetrievalMode;
  signal: AbortSignal;
  onProgress?: ProgressFn;
}

/**
 * Creates and deletes the MCP server's workers. A create validates everything, reserves its name and a slot,
 * starts the worker through its driver (ready signal, then a real login), and only then registers the session.
 * Every failure, timeout, cancellation, reload or shutdown on the way stops what was started and frees the
 * reservation.
 */
export class WorkerService {
  private readonly inFlight = new Set<{ abort: AbortController; done: Promise<unknown> }>();
  private readonly sweepGate: Promise<unknown>;
  private readonly pool: WarmPool;
  /** Stops of workers whose idle timeout or lifetime ran out, until they finish. */
  private readonly expiring = new Set<Promise<void>>();

  constructor(private readonly deps: WorkerServiceDeps) {
    this.sweepGate = deps.sweepGate.catch(() => undefined);
    this.pool = new WarmPool({
      start: (plan, signal) =>
        startWorker(plan, {
          drivers: deps.drivers,
          tracking: deps.tracker,
          labels: deps.tracker.ownerLabels(plan.name),
          exitWithOwner: true,
          signal,
        }),
      occupied: () => this.occupied(),
      gate: this.sweepGate,
    });
  }

  /** Slots held by created sessions and by creates under way. */
  private occupied(): number {
    const sessions = this.deps.registry.list().filter((s) => s.source === 'dynamic').length;
    return sessions + this.deps.reservations.size;
  }

  /** Sets the warm pool the configuration asks for (undefined: none) and starts filling it in the background. */
  configurePool(spec: PoolSpec | undefined): void {
    this.pool.configure(spec);
  }

  /** Stops every pooled worker, starting or ready, and waits until they are gone (reload, shutdown). */
  drainPool(reason: string): Promise<void> {
    return this.pool.drain(reason);
  }

  /** How many pooled workers are ready and starting (no secrets: for logs, tests and benchmarks). */
  poolStatus(): PoolStatus {
    return this.pool.status();
  }

  async create(
    args: CreateArgs,
    settings: CreationSettings,
    opts: CreateOptions = {},
  ): Promise<DynamicSession> {
    const { creation } = settings;
    if (!creation)
      throw new InvalidRequestError(
        'Community session creation not configured in deephaven_mcp.json; add a "community": {"session_creation": {}} section (docs/configuration.md)',
      );
    if (creation.max_concurrent_sessions === 0)
      throw new InvalidRequestError(
        'Community session creation is disabled: community.session_creation.max_concurrent_sessions is 0',
      );
    const plan = resolveCreateRequest(args, creation, { policy: settings.policy });
    const id = makeSessionId('community', 'dynamic', plan.name);
    const { registry } = this.deps;
    const inUse = registry.list().filter((s) => s.source === 'dynamic').length;
    const release = this.deps.reservations.reserve(
      plan.name,
      id,
      registry.has(id),
      inUse,
      creation.max_concurrent_sessions,
    );

    const abort = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, abort.signal]) : abort.signal;
    const entry = { abort, done: Promise.resolve() as Promise<unknown> };
    const work = this.serve({
      plan,
      id,
      credentialMode: settings.credentialMode,
      signal,
      onProgress: opts.onProgress,
    });
    entry.done = work.catch(() => undefined);
    this.inFlight.add(entry);
    try {
      return await work;
    } catch (e) {
      throw withContext(e, `Failed to create community session '${plan.name}': `);
    } finally {
      this.inFlight.delete(entry);
      release();
      this.pool.rebalance(); // a claim or a freed slot lets the pool refill
    }
  }

  /** A pooled worker when one matches and is alive, else a fresh one. */
  private async serve(call: CreateCall): Promise<DynamicSession> {
    // A create cancelled before it began must not use up a pooled worker (the pool takes seconds to refill).
    if (call.signal.aborted)
      throw new LaunchError(`creation was cancelled (${cancelReason(call.signal)}); nothing was started`);
    const claimed = await claimPooled(this.pool, call.plan);
    if (claimed) return this.registerClaimed(claimed, call);
    // A fresh worker takes a slot the pool may hold: the pool gives it up (pool-sizing.ts).
    this.pool.rebalance();
    return this.launchAndRegister(call);
  }

  /** Turns a claimed pooled worker into the session: renamed, registered, announced like a fresh one. */
  private async registerClaimed(w: ClaimedWorker, call: CreateCall): Promise<DynamicSession> {
    const { plan, onProgress } = call;
    const started = Date.now();
    onProgress?.({
      phase: 'pool_claim',
      text: `claimed a ready worker from the warm pool for '${plan.name}'`,
    });
    await w.handle.rename(plan.name);
    const session = new DynamicSession(w.handle, plan.method, w.connection, true);
    // The clocks start at the claim, not while the worker waited in the pool.
    return this.register(session, call, 'worker claimed from the warm pool', {
      pooled: w.poolName,
      ms: Date.now() - started,
    });
  }

  private async launchAndRegister(call: CreateCall): Promise<DynamicSession> {
    const { plan, id, signal, onProgress } = call;
    const started = Date.now();
    await this.sweepGate;
    // Values of environment_vars may be secrets too: only their names are logged, and never the token.
    const { token: _secret, environment, ...loggable } = plan;
    logger.info(
      { session: id, plan: { ...loggable, environment: Object.keys(environment) } },
      'creating worker',
    );
    const { handle, connection } = await startWorker(plan, {
      drivers: this.deps.drivers,
      tracking: this.deps.tracker,
      labels: this.deps.tracker.ownerLabels(plan.name),
      exitWithOwner: true,
      signal,
      onProgress,
    });
    const session = new DynamicSession(handle, plan.method, connection);
    return this.register(session, call, 'worker created', {
      ms: Date.now() - started,
    });
  }

  /**
   * Makes a started worker the session, unless its create was cancelled meanwhile (then the worker is stopped),
   * starts its lifecycle clocks and announces it (log line, browser banner).
   */
  private async register(
    session: DynamicSession,
    { plan, credentialMode, signal }: CreateCall,
    message: string,
    fields: Record<string, unknown>,
  ): Promise<DynamicSession> {
    if (signal.aborted) {
      await session.stop();
      throw new LaunchError(`creation was cancelled (${cancelReason(signal)}); the worker was stopped`);
    }
    // Synchronous from the check above to here: nothing can interleave before the add.
    this.deps.registry.add(session);
    this.watchLifecycle(session, plan);
    const { handle } = session;
    logger.info({ session: session.id, kind: handle.kind, port: handle.endpoint.port, ...fields }, message);
    logBrowserAccess(session, credentialMode);
    return session;
  }

  /**
   * Starts a registered session's idle timeout and maximum lifetime (docs/configuration.md). When one runs out
   * the worker is stopped exactly as a delete stops it, and its name is free again.
   */
  private watchLifecycle(session: DynamicSession, plan: CreatePlan): void {
    const limits = plan.lifecycle;
    if (limits.idleTimeoutMs === undefined && limits.maxLifetimeMs === undefined) return;
    session.watchLifecycle(limits, (stop) => {
      // A delete, reload or shutdown that already took the session away stops it itself.
      if (this.deps.registry.peek(session.id) !== session) return;
      logger.info(
        { session: session.id, reason: stop.reason },
        `stopping worker: ${stopExplanation(stop.reason, limits)}`,
      );
      const stopping = this.removeAndStop(session).then((r) => {
        if (r.worker_stopped) logger.info({ session: session.id, reason: stop.reason }, 'worker stopped');
        else logger.warn({ session: session.id, reason: stop.reason }, r.note);
      });
      this.expiring.add(stopping);
      void stopping.finally(() => this.expiring.delete(stopping));
    });
  }

  /**
   * Stops a created worker and removes its session. The session is removed first, so a worker that would not
   * stop is still gone from the list; the error then says so (it stays tracked for the next start-up sweep).
   */
  async delete(name: string): Promise<DeleteResult> {
    const id = makeSessionId('community', 'dynamic', name);
    const { registry } = this.deps;
    if (!registry.has(id)) {
      if (this.deps.reservations.has(name))
        throw new InvalidRequestError(
          `Session ${quote(id)} is still starting; cancel its session_community_create call or wait for it to finish`,
        );
      throw new NotFoundError(
        `Session ${quote(id)} not found; sessions_list shows the sessions that exist (only created workers can be deleted)`,
      );
    }
    const s = registry.get(id);
    if (!(s instanceof DynamicSession))
      throw new InvalidRequestError(
        `Session '${id}' is not a dynamically created session and cannot be deleted`,
      );
    return this.removeAndStop(s);
  }

  /** What delete and an expired lifecycle share: remove the session, then stop its worker. Never throws. */
  private async removeAndStop(s: DynamicSession): Promise<DeleteResult> {
    const { id, name } = s;
    this.deps.registry.remove(id);
    // The session is gone from here on: whatever happens next is reported in the answer, never as an error.
    const stopped = await s.stop().catch(() => false);
    this.pool.rebalance(); // the slot is free again
    if (!stopped) {
      const what = Object.entries(s.handle.identity)
        .map(([k, v]) => `${k} ${String(v)}`)
        .join(', ');
      return {
        session_id: id,
        session_name: name,
        worker_stopped: false,
        note: `the session was removed but its ${s.handle.noun} (${what}) did not stop; it stays tracked and the next server start removes it`,
      };
    }
    const kept = s.handle.leftBehind();
    return { session_id: id, session_name: name, worker_stopped: true, ...(kept.length ? { kept } : {}) };
  }

  /** Whether a create of `name` is under way. */
  isStarting(name: string): boolean {
    return this.deps.reservations.has(name);
  }

  /**
   * Stops every create in flight (reload, shutdown) and waits until each has cleaned up, and until the workers a
   * lifecycle limit is stopping are gone (they already left the registry, so closing it would not wait for them).
   */
  async abortAll(reason: string): Promise<void> {
    const all = [...this.inFlight];
    for (const f of all) f.abort.abort(new Error(reason));
    await Promise.all([...all.map((f) => f.done), ...this.expiring]);
  }
}
