import type { SessionCreationConfig, CredentialRetrievalMode } from '../config/schema.js';
import { makeSessionId } from '../sessions/session-id.js';
import type { SessionRegistry } from '../sessions/registry.js';
import type { InstanceTracker } from '../tracking/instance-tracker.js';
import { UserError, errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';
import { resolveCreateRequest, type CreateArgs, type CreatePlan } from './create-request.js';
import type { DynamicSession } from './dynamic-session.js';
import { LaunchError } from './launchers/launcher.js';
import { Reservations } from './reservations.js';
import { logBrowserAccess } from './startup-banner.js';
import { cancelReason, startWorker, trackingFor } from './worker-starter.js';

export interface CreationContext {
  /** The current config's session_creation section (undefined: creation not configured). */
  creationConfig(): SessionCreationConfig | undefined;
  credentialMode(): CredentialRetrievalMode;
  registry(): SessionRegistry;
}

export interface CreateOptions {
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/**
 * Creates and deletes dynamic workers. A create validates everything, reserves its name and a slot, launches,
 * waits for the worker's own ready line, confirms with a real login, and only then registers the session.
 * Every failure, timeout, cancellation, reload or shutdown on the way stops what was started and frees the
 * reservation.
 */
export class SessionCreator {
  private readonly reservations = new Reservations();
  private readonly inFlight = new Set<{ abort: AbortController; done: Promise<unknown> }>();
  private sweep: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: CreationContext,
    readonly tracker: InstanceTracker,
  ) {}

  /** Creates wait for the start-up orphan sweep, which may free names and ports. */
  afterSweep(sweep: Promise<unknown>): void {
    this.sweep = sweep.catch(() => undefined);
  }

  async create(args: CreateArgs, opts: CreateOptions = {}): Promise<DynamicSession> {
    const creation = this.ctx.creationConfig();
    if (!creation)
      throw new UserError(
        'Community session creation not configured in deephaven_mcp.json; add a "community": {"session_creation": {}} section (docs/configuration.md)',
      );
    if (creation.max_concurrent_sessions === 0)
      throw new UserError(
        'Community session creation is disabled: community.session_creation.max_concurrent_sessions is 0',
      );
    const plan = resolveCreateRequest(args, creation);
    const id = makeSessionId('community', 'dynamic', plan.name);
    const registry = this.ctx.registry();
    const inUse = registry.list().filter((s) => s.source === 'dynamic').length;
    const release = this.reservations.reserve(
      plan.name,
      id,
      registry.has(id),
      inUse,
      creation.max_concurrent_sessions,
    );

    const abort = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, abort.signal]) : abort.signal;
    const entry = { abort, done: Promise.resolve() as Promise<unknown> };
    const work = this.launchAndRegister(plan, id, signal, opts.onProgress);
    entry.done = work.catch(() => undefined);
    this.inFlight.add(entry);
    try {
      return await work;
    } catch (e) {
      throw new UserError(`Failed to create community session '${plan.name}': ${errorMessage(e)}`);
    } finally {
      this.inFlight.delete(entry);
      release();
    }
  }

  private async launchAndRegister(
    plan: CreatePlan,
    id: string,
    signal: AbortSignal,
    onProgress?: (message: string) => void,
  ): Promise<DynamicSession> {
    const started = Date.now();
    await this.sweep;
    // Values of environment_vars may be secrets too: only their names are logged, and never the token.
    const { token: _secret, environment, ...loggable } = plan;
    logger.info(
      { session: id, plan: { ...loggable, environment: Object.keys(environment) } },
      'creating worker',
    );
    const session = await startWorker(plan, {
      tracking: trackingFor(this.tracker),
      labels: this.tracker.containerLabels(plan.name),
      exitWithOwner: true,
      signal,
      onProgress,
    });
    if (signal.aborted) {
      await session.close();
      throw new LaunchError(`creation was cancelled (${cancelReason(signal)}); the worker was stopped`);
    }
    // Synchronous from the check above to here: nothing can interleave before the add.
    this.ctx.registry().add(session);
    logger.info(
      { session: id, method: plan.method, port: session.worker.port, ms: Date.now() - started },
      'worker created',
    );
    logBrowserAccess(session, this.ctx.credentialMode());
    return session;
  }

  /** Stops every create in flight (reload, shutdown) and waits until each has cleaned up. */
  async abortAll(reason: string): Promise<void> {
    const all = [...this.inFlight];
    for (const f of all) f.abort.abort(new Error(reason));
    await Promise.all(all.map((f) => f.done));
  }

  /** Whether a create of `name` is under way. */
  isStarting(name: string): boolean {
    return this.reservations.has(name);
  }
}
