import { TimeoutError } from './errors.js';

/**
 * Races a promise against a deadline; the timer never keeps the process alive. `disposeLate` releases what the
 * promise yields if it arrives after the deadline (an opened table, a started read), which nobody else will.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  disposeLate?: (value: T) => unknown,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, deadline]);
  } catch (e) {
    if (disposeLate && e instanceof TimeoutError)
      promise.then(
        (late) => Promise.resolve(disposeLate(late)).catch(() => undefined),
        () => undefined,
      );
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
