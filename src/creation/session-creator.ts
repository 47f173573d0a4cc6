import type { LaunchMethod, SessionCreationConfig, CredentialRetrievalMode } from '../config/schema.js';
import { warmJsApi } from '../deephaven/jsapi-loader.js';
import { makeSessionId } from '../sessions/session-id.js';
import type { SessionRegistry } from '../sessions/registry.js';
import type { InstanceTracker } from '../tracking/instance-tracker.js';
import { identify } from '../tracking/process-identity.js';
import { UserError, errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';
import { sleep } from '../util/timeout.js';
import { resolveCreateRequest, type CreateArgs, type CreatePlan } from './create-request.js';
import { DynamicSession } from './dynamic-session.js';
import { LaunchError, type LaunchSpec, type LaunchedWorker } from './launchers/launcher.js';
import { freePort } from './ports.js';
import { Reservations } from './reservations.js';
import { logBrowserAccess } from './startup-banner.js';

/** The one place that knows which launcher serves which method (loaded on first use: faster server start). */
const LAUNCHERS: Record<LaunchMethod, (plan: CreatePlan, spec: LaunchSpec) => Promise<LaunchedWorker>> = {
  docker: async (plan, spec) =>
    (await import('./launchers/docker-launcher.js')).launchDocker({ ...spec, ...plan.docker }),
  python: async (plan, spec) =>
    (await import('./launchers/python-launcher.js')).launchPython({
      ...spec,
      venvPath: plan.python.venvPath,
      port: await freePort(),
    }),
};

/** A python worker loses its port when another process binds it between our probe and the JVM's bind. */
const PORT_ATTEMPTS = 3;

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
    warmJsApi(); // imports the cached client API while the worker boots
    const deadline = started + plan.startup.timeoutMs;
    const progress = (m: string): void => onProgress?.(m);
    await this.sweep;
    const { token: _secret, ...loggable } = plan;
    logger.info({ session: id, plan: loggable }, 'creating worker');

    let worker: LaunchedWorker | undefined;
    let session: DynamicSession | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        signal.throwIfAborted();
        progress(`launching ${plan.method} worker '${plan.name}'`);
        worker = await LAUNCHERS[plan.method](plan, this.spec(plan));
        this.track(plan.name, worker);
        if (signal.aborted) throw new LaunchError(`start of '${plan.name}' was cancelled`);
        try {
          const ready = await worker.waitUntilReady({
            timeoutMs: Math.max(deadline - Date.now(), 1),
            signal,
            onProgress: progress,
          });
          session = new DynamicSession(
            plan.name,
            worker,
            plan.method,
            plan.auth,
            plan.token,
            plan.tokenSource === 'generated',
            ready.console ?? plan.language,
            () => this.tracker.untrack(plan.name),
          );
          break;
        } catch (e) {
          if (e instanceof LaunchError && e.portTaken && attempt < PORT_ATTEMPTS) {
            logger.info(
              { session: id, port: worker.port },
              'port taken before the worker bound it; retrying',
            );
            await this.discard(plan.name, worker);
            worker = undefined;
            continue;
          }
          throw e;
        }
      }
      progress(`worker '${plan.name}' reported ready; logging in`);
      await this.confirmLogin(session, plan, deadline, signal);
      signal.throwIfAborted();
      // Synchronous from here to the end: nothing can interleave between the last check and the add.
      this.ctx.registry().add(session);
      logger.info(
        { session: id, method: plan.method, port: worker.port, ms: Date.now() - started },
        'worker created',
      );
      logBrowserAccess(session, this.ctx.credentialMode());
      return session;
    } catch (e) {
      const why = signal.aborted ? cancelReason(signal) : undefined;
      if (session) await session.close();
      else if (worker) await this.discard(plan.name, worker);
      logger.warn(
        { session: id, err: errorMessage(e) },
        'worker creation failed; everything it started is stopped',
      );
      if (why)
        throw new LaunchError(`creation was cancelled (${why}); the worker was stopped`, worker?.logTail());
      throw e;
    }
  }

  private spec(plan: CreatePlan): LaunchSpec {
    return {
      name: plan.name,
      auth: plan.auth,
      token: plan.token,
      language: plan.language,
      heapSizeGb: plan.heapSizeGb,
      extraJvmArgs: plan.extraJvmArgs,
      environment: plan.environment,
      labels: this.tracker.containerLabels(plan.name),
      exitWithOwner: true,
    };
  }

  private track(name: string, w: LaunchedWorker): void {
    if (w.containerId) this.tracker.trackContainer(name, w.containerId);
    if (w.pid) {
      const id = identify(w.pid);
      this.tracker.trackProcess(name, { pid: w.pid, start_time: id.startTime, home: w.home, port: w.port });
    }
  }

  private async discard(name: string, w: LaunchedWorker): Promise<void> {
    await w.stop();
    if (!(await w.isAlive())) this.tracker.untrack(name);
  }

  /** A real login proves the worker serves clients with these credentials, not merely that it printed a line. */
  private async confirmLogin(
    session: DynamicSession,
    plan: CreatePlan,
    deadline: number,
    signal: AbortSignal,
  ): Promise<void> {
    const attempts = Math.max(plan.startup.retries, 0) + 1;
    for (let i = 1; ; i++) {
      signal.throwIfAborted();
      try {
        await raceAbort(session.connection(), signal, deadline, plan.name);
        return;
      } catch (e) {
        if (signal.aborted || i >= attempts || Date.now() >= deadline) {
          throw new LaunchError(
            `the worker reported ready but a login failed: ${errorMessage(e)}`,
            session.worker.logTail(),
          );
        }
        logger.info(
          { session: session.id, attempt: i, err: errorMessage(e) },
          'login not accepted yet; retrying',
        );
        await sleep(Math.min(plan.startup.intervalMs, Math.max(deadline - Date.now(), 0)));
      }
    }
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

function cancelReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error && r.name !== 'AbortError') return r.message;
  return 'the call was cancelled';
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal, deadline: number, name: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new LaunchError(`worker '${name}' did not accept a login before the startup timeout`)),
      Math.max(deadline - Date.now(), 1),
    );
    const onAbort = (): void => reject(new LaunchError('cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}
