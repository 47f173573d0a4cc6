import type { CreatePlan } from './params/resolve.js';
import { warmJsApi } from '../deephaven/jsapi-loader.js';
import { connectWorker, type WorkerConnection } from '../deephaven/worker-connection.js';
import { connectTimeoutMs } from '../sessions/limits.js';
import { errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';
import { sleep } from '../util/timeout.js';
import type { DriverSet } from './drivers/index.js';
import type { RunningWorker, WorkerRecord } from './drivers/driver.js';
import { LaunchError } from './launch-error.js';
import { LOOPBACK_HOST, browserUrl, connectUrl } from './urls.js';
import { phaseReporter, type PhaseReporter, type ProgressFn } from './progress.js';
import type { WorkerHandle } from './worker-handle.js';

/** Where started workers are recorded, so a dead owner's workers can be found again. */
export interface WorkerTracking {
  track(name: string, record: WorkerRecord): void;
  untrack(name: string): void;
}

export interface StartOptions {
  drivers: DriverSet;
  tracking: WorkerTracking;
  /** Owner labels for resources that carry labels (containers). */
  labels: Record<string, string>;
  /** Stop the worker when this process dies (false: a worker meant to outlive its starter). */
  exitWithOwner: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  /** Workers that outlive us write their output here instead of to our pipes. */
  logFile?: string;
}

export interface StartedWorker {
  handle: WorkerHandle;
  /** The connection that proved the login; the caller keeps it (a session) or closes it. */
  connection: WorkerConnection;
}

/**
 * Starts a worker for a resolved plan through the driver of its kind, waits for its own ready signal, and
 * confirms with a real login. Shared by session_community_create, the CLI and the library API. On any failure,
 * timeout or cancellation everything it started is stopped before the error is thrown.
 */
export async function startWorker(plan: CreatePlan, opts: StartOptions): Promise<StartedWorker> {
  warmJsApi(); // imports the cached client API while the worker boots
  const signal = opts.signal ?? new AbortController().signal;
  let running: RunningWorker | undefined;
  try {
    // Choosing the driver may pull the image: that has its own timeout, so the start-up clock starts after it.
    const driver = await opts.drivers.forPlan(plan, { signal, onProgress: opts.onProgress });
    const started = Date.now();
    const deadline = started + plan.startup.timeoutMs;
    running = await driver.launch(plan, {
      labels: opts.labels,
      exitWithOwner: opts.exitWithOwner,
      logFile: opts.logFile,
      signal,
      deadline,
      onProgress: opts.onProgress,
      track: (r) => opts.tracking.track(plan.name, r),
      untrack: () => opts.tracking.untrack(plan.name),
    });
    if (signal.aborted) throw new LaunchError(`start of '${plan.name}' was cancelled`);
    const readyMs = Date.now() - started;
    opts.onProgress?.({
      phase: 'ready',
      text: `worker '${plan.name}' reported ready on port ${running.port} after ${(readyMs / 1000).toFixed(1)} s`,
    });
    const connection = await confirmLogin(
      running,
      plan,
      deadline,
      signal,
      phaseReporter(opts.onProgress, 'login'),
    );
    logger.debug(
      { session: plan.name, kind: running.kind, ready_ms: readyMs, login_ms: Date.now() - started - readyMs },
      'worker started',
    );
    return { handle: toHandle(plan, running, connection, opts.tracking), connection };
  } catch (e) {
    const why = signal.aborted ? cancelReason(signal) : undefined;
    const tail = running?.logTail();
    if (running) {
      await (running.discard ? running.discard() : running.stop());
      if (!(await running.isAlive())) opts.tracking.untrack(plan.name);
    }
    logger.warn(
      { session: plan.name, err: errorMessage(e) },
      'worker start failed; everything it started is stopped',
    );
    if (why) throw new LaunchError(`creation was cancelled (${why}); the worker was stopped`, tail);
    throw e;
  }
}

function toHandle(
  plan: CreatePlan,
  w: RunningWorker,
  connection: WorkerConnection,
  tracking: WorkerTracking,
): WorkerHandle {
  let stopping: Promise<boolean> | undefined;
  let name = plan.name;
  return {
    get name() {
      return name;
    },
    kind: w.kind,
    endpoint: { host: LOOPBACK_HOST, port: w.port, url: connectUrl(w.port) },
    browserUrl: browserUrl(w.port),
    auth: { type: plan.auth, token: plan.token, generated: plan.tokenSource === 'generated' },
    version: w.version ?? connection.info.deephavenVersion,
    console: w.console ?? connection.info.consoleType ?? plan.language,
    identity: w.identity,
    noun: w.noun,
    secretExposure: w.secretExposure,
    record: () => w.record(),
    describe: () => ({ worker_kind: w.kind, ...w.describe() }),
    leftBehind: () => w.leftBehind?.() ?? [],
    isAlive: () => w.isAlive(),
    logTail: () => w.logTail(),
    async rename(next) {
      if (next === name || stopping) return;
      // Tracked under the new name before the old one is forgotten: a kill -9 in between still leaves a record.
      tracking.track(next, w.record());
      tracking.untrack(name);
      const old = name;
      name = next;
      await w
        .rename?.(next)
        .catch((e: unknown) =>
          logger.warn(
            { session: next, was: old, err: errorMessage(e) },
            'could not rename the worker; it keeps its earlier name',
          ),
        );
    },
    stop() {
      stopping ??= (async () => {
        await w.stop();
        // A worker that would not stop stays tracked, so the next start-up sweep still finds it.
        const gone = !(await w.isAlive());
        if (gone) tracking.untrack(name);
        return gone;
      })();
      return stopping;
    },
  };
}

/** A real login proves the worker serves clients with these credentials, not merely that it printed a line. */
async function confirmLogin(
  w: RunningWorker,
  plan: CreatePlan,
  deadline: number,
  signal: AbortSignal,
  onLogin: PhaseReporter | undefined,
): Promise<WorkerConnection> {
  const attempts = Math.max(plan.startup.retries, 0) + 1;
  for (let i = 1; ; i++) {
    signal.throwIfAborted();
    onLogin?.(
      i === 1
        ? `logging in to worker '${plan.name}'`
        : `logging in to worker '${plan.name}' (attempt ${i} of ${attempts})`,
    );
    try {
      return await raceAbort(
        connectWorker({
          url: connectUrl(w.port),
          auth: plan.auth,
          token: plan.token,
          timeoutMs: Math.max(Math.min(connectTimeoutMs(), deadline - Date.now()), 1),
          knownVersion: w.version,
        }),
        signal,
        deadline,
        plan.name,
      );
    } catch (e) {
      // A worker that died after its ready line (say, killed for memory by the first login) is reported as
      // such, with its exit code, rather than as a refused login; retrying it would only wait for the deadline.
      const died = signal.aborted ? undefined : await w.deathCause();
      if (died) throw died;
      if (signal.aborted || i >= attempts || Date.now() >= deadline) {
        throw new LaunchError(
          `the worker reported ready but a login failed: ${errorMessage(e)}`,
          w.logTail(),
        );
      }
      logger.info(
        { session: plan.name, attempt: i, err: errorMessage(e) },
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

/** Resolves with the login, or rejects at the deadline or on abort (a late login is closed, never leaked). */
function raceAbort(
  p: Promise<WorkerConnection>,
  signal: AbortSignal,
  deadline: number,
  name: string,
): Promise<WorkerConnection> {
  return new Promise<WorkerConnection>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(
      () => {
        settled = true;
        reject(new LaunchError(`worker '${name}' did not accept a login before the startup timeout`));
      },
      Math.max(deadline - Date.now(), 1),
    );
    const onAbort = (): void => {
      settled = true;
      reject(new LaunchError('cancelled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (c) => {
        if (settled) void c.close();
        else resolve(c);
      },
      (e: unknown) => reject(e),
    ).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}
