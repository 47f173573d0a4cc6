import { testDocker } from './docker.js';
import { pidExists } from '../../src/util/process-identity.js';
import { scopeContainers, scopeWorkerPids } from './scope.js';

/**
 * What this test file's workers can leave behind: python worker processes and containers of its own scope
 * (test/helpers/scope.ts). Other test runs and tools on the machine are not looked at.
 */
export interface ResourceSnapshot {
  workerPids: number[];
  containers: string[];
}

export async function snapshot(): Promise<ResourceSnapshot> {
  return { workerPids: scopeWorkerPids(), containers: await scopeContainers() };
}

/**
 * Waits until `check` returns a value that `done` accepts, polling every `intervalMs`, and returns it; throws,
 * naming `what`, with the last value seen when the deadline passes. The replacement for fixed sleeps.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  done: (v: T) => boolean = Boolean,
  { timeoutMs = 15_000, intervalMs = 200 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (done(v)) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Polls until this scope's resources match the baseline (stops are asynchronous at the OS level), then returns
 * them; returns what is there at the deadline so the caller's `toEqual` shows the difference.
 */
export async function settleTo(baseline: ResourceSnapshot, timeoutMs = 15_000): Promise<ResourceSnapshot> {
  const same = (s: ResourceSnapshot): boolean => JSON.stringify(s) === JSON.stringify(baseline);
  return waitFor('resources to settle', snapshot, same, { timeoutMs }).catch(() => snapshot());
}

/**
 * Whether a worker reported by a tool or the CLI is gone: its process no longer exists, its container is
 * removed. At least one of `pid` and `containerId` must be given: an empty description proves nothing.
 */
export async function workerGone(w: { pid?: number; containerId?: string }): Promise<boolean> {
  if (w.pid === undefined && w.containerId === undefined)
    throw new Error('workerGone needs a pid or a container id (the tool reported neither)');
  if (w.pid !== undefined && pidExists(w.pid)) return false;
  if (w.containerId === undefined) return true;
  return testDocker()
    .getContainer(w.containerId)
    .inspect()
    .then(
      () => false,
      (e: { statusCode?: number }) => {
        if (e.statusCode === 404) return true;
        throw e;
      },
    );
}
