import type { LaunchMethod } from '../config/schema.js';
import { warmJsApi } from '../deephaven/jsapi-loader.js';
import type { InstanceTracker } from '../tracking/instance-tracker.js';
import { identify } from '../tracking/process-identity.js';
import { errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';
import { sleep } from '../util/timeout.js';
import type { CreatePlan } from './create-request.js';
import { DynamicSession } from './dynamic-session.js';
import { LaunchError, type LaunchSpec, type LaunchedWorker } from './launchers/launcher.js';
import { freePort } from './ports.js';

/** The one place that knows which launcher serves which method (loaded on first use: faster server start). */
const LAUNCHERS: Record<
  LaunchMethod,
  (plan: CreatePlan, spec: LaunchSpec, logFile?: string) => Promise<LaunchedWorker>
> = {
  docker: async (plan, spec) =>
    (await import('./launchers/docker-launcher.js')).launchDocker({ ...spec, ...plan.docker }),
  python: async (plan, spec, logFile) =>
    (await import('./launchers/python-launcher.js')).launchPython({
      ...spec,
      venvPath: plan.python.venvPath,
      port: await freePort(),
      logFile,
    }),
};

/** A python worker loses its port when another process binds it between our probe and the JVM's bind. */
const PORT_ATTEMPTS = 3;

/** Where a started worker is recorded, so a dead owner's workers can be found again. */
export interface WorkerTracking {
  track(name: string, worker: LaunchedWorker): void;
  untrack(name: string): void;
}

export function trackingFor(tracker: InstanceTracker): WorkerTracking {
  return {
    track(name, w) {
      if (w.containerId) tracker.trackContainer(name, w.containerId);
      if (w.pid)
        tracker.trackProcess(name, {
          pid: w.pid,
          start_time: identify(w.pid).startTime,
          home: w.home,
          port: w.port,
        });
    },
    untrack: (name) => tracker.untrack(name),
  };
}

export interface StartOptions {
  tracking: WorkerTracking;
  labels: Record<string, string>;
  /** Stop the worker when this process dies (false: a worker meant to outlive its starter). */
  exitWithOwner: boolean;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
  /** Python workers that outlive us write their output here instead of to our pipes. */
  logFile?: string;
}

/**
 * Launches a worker for a resolved plan, waits for its own ready line, and confirms with a real login. Shared by
 * session_community_create, the CLI and the library API. On any failure, timeout or cancellation everything it
 * started is stopped before the error is thrown.
 */
export async function startWorker(plan: CreatePlan, opts: StartOptions): Promise<DynamicSession> {
  warmJsApi(); // imports the cached client API while the worker boots
  const signal = opts.signal ?? new AbortController().signal;
  const started = Date.now();
  const deadline = started + plan.startup.timeoutMs;
  const progress = (m: string): void => opts.onProgress?.(m);
  const spec: LaunchSpec = {
    name: plan.name,
    auth: plan.auth,
    token: plan.token,
    language: plan.language,
    heapSizeGb: plan.heapSizeGb,
    extraJvmArgs: plan.extraJvmArgs,
    environment: plan.environment,
    labels: opts.labels,
    exitWithOwner: opts.exitWithOwner,
  };
  const discard = async (w: LaunchedWorker): Promise<void> => {
    await w.stop();
    if (!(await w.isAlive())) opts.tracking.untrack(plan.name);
  };

  let worker: LaunchedWorker | undefined;
  let session: DynamicSession | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      progress(`launching ${plan.method} worker '${plan.name}'`);
      worker = await LAUNCHERS[plan.method](plan, spec, opts.logFile);
      opts.tracking.track(plan.name, worker);
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
          () => opts.tracking.untrack(plan.name),
          ready.version,
        );
        break;
      } catch (e) {
        if (e instanceof LaunchError && e.portTaken && attempt < PORT_ATTEMPTS) {
          logger.info(
            { session: plan.name, port: worker.port },
            'port taken before the worker bound it; retrying',
          );
          await discard(worker);
          worker = undefined;
          continue;
        }
        throw e;
      }
    }
    progress(`worker '${plan.name}' reported ready; logging in`);
    const readyMs = Date.now() - started;
    await confirmLogin(session, plan, deadline, signal);
    logger.debug(
      { session: plan.name, ready_ms: readyMs, login_ms: Date.now() - started - readyMs },
      'worker started',
    );
    return session;
  } catch (e) {
    const why = signal.aborted ? cancelReason(signal) : undefined;
    if (session) await session.close();
    else if (worker) await discard(worker);
    logger.warn(
      { session: plan.name, err: errorMessage(e) },
      'worker start failed; everything it started is stopped',
    );
    if (why)
      throw new LaunchError(`creation was cancelled (${why}); the worker was stopped`, worker?.logTail());
    throw e;
  }
}

/** A real login proves the worker serves clients with these credentials, not merely that it printed a line. */
async function confirmLogin(
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
      await sleep(Math.min(plan.startup.intervalMs, Math.max(deadline - Date.now(), 0)), signal);
    }
  }
}

export function cancelReason(signal: AbortSignal): string {
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
