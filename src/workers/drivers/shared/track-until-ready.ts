import type { LaunchContext, WorkerRecord } from '../driver.js';
import type { WaitOptions } from './dh-worker-protocol.js';

/** What a launch waits on: a started worker that can be recorded, watched until ready and checked for life. */
export interface LaunchedWorker<R> {
  record(): WorkerRecord;
  waitUntilReady(opts: WaitOptions): Promise<R>;
  isAlive(): Promise<boolean>;
}

/**
 * Tracks a started worker (so that a crash of ours before it is ready still leaves it findable), then waits for it
 * to report ready within the launch's deadline. On failure it is dropped with `drop`, untracked once it is
 * provably gone (a worker that outlived its stop stays tracked for the next start's sweep), and the error is
 * rethrown for the driver to judge (a retry, a message).
 */
export async function trackUntilReady<R>(
  ctx: LaunchContext,
  worker: LaunchedWorker<R>,
  drop: () => Promise<void>,
  onProgress?: (message: string) => void,
): Promise<R> {
  ctx.track(worker.record());
  try {
    return await worker.waitUntilReady({
      timeoutMs: Math.max(ctx.deadline - Date.now(), 1),
      signal: ctx.signal,
      onProgress,
    });
  } catch (e) {
    await drop();
    if (!(await worker.isAlive())) ctx.untrack();
    throw e;
  }
}
