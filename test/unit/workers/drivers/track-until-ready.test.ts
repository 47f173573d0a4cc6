import { describe, expect, it } from 'vitest';
import type { LaunchContext, WorkerRecord } from '../../../../src/workers/drivers/driver.js';
import type { WaitOptions } from '../../../../src/workers/drivers/shared/dh-worker-protocol.js';
import { trackUntilReady } from '../../../../src/workers/drivers/shared/track-until-ready.js';

// The launch bookkeeping every driver shares, with a scripted worker (no JVM): what is tracked, dropped and
// untracked, in which order, on success and on each kind of failure.
function setup(opts: { ready: boolean; aliveAfterDrop: boolean; deadline?: number }) {
  const events: string[] = [];
  const waits: WaitOptions[] = [];
  const record: WorkerRecord = { kind: 'python', pid: 42 };
  const ctx: LaunchContext = {
    labels: {},
    exitWithOwner: true,
    signal: new AbortController().signal,
    deadline: opts.deadline ?? Date.now() + 60_000,
    track: (r) => events.push(`track ${String(r.pid)}`),
    untrack: () => events.push('untrack'),
  };
  let dropped = false;
  const worker = {
    record: () => record,
    waitUntilReady: async (o: WaitOptions) => {
      waits.push(o);
      events.push('wait');
      if (!opts.ready) throw new Error('the worker exited before it was ready');
      return { version: '0.42.4' };
    },
    isAlive: async () => !dropped || opts.aliveAfterDrop,
  };
  const drop = async () => {
    events.push('drop');
    dropped = true;
  };
  return { ctx, worker, drop, events, waits };
}

describe('trackUntilReady', () => {
  it('tracks the worker before waiting and returns what the ready wait returned', async () => {
    const { ctx, worker, drop, events } = setup({ ready: true, aliveAfterDrop: false });
    await expect(trackUntilReady(ctx, worker, drop)).resolves.toEqual({ version: '0.42.4' });
    expect(events).toEqual(['track 42', 'wait']);
  });

  it('drops a worker that failed, untracks it once gone and rethrows the failure', async () => {
    const { ctx, worker, drop, events } = setup({ ready: false, aliveAfterDrop: false });
    await expect(trackUntilReady(ctx, worker, drop)).rejects.toThrow('exited before it was ready');
    expect(events).toEqual(['track 42', 'wait', 'drop', 'untrack']);
  });

  it('keeps a worker tracked when it outlived the drop (the next start sweeps it)', async () => {
    const { ctx, worker, drop, events } = setup({ ready: false, aliveAfterDrop: true });
    await expect(trackUntilReady(ctx, worker, drop)).rejects.toThrow();
    expect(events).toEqual(['track 42', 'wait', 'drop']);
  });

  it("waits within the launch's deadline, never for zero or less, with its signal and progress", async () => {
    const progress = (m: string) => void m;
    const late = setup({ ready: true, aliveAfterDrop: false, deadline: Date.now() - 5_000 });
    await trackUntilReady(late.ctx, late.worker, late.drop, progress);
    expect(late.waits[0]).toEqual({ timeoutMs: 1, signal: late.ctx.signal, onProgress: progress });

    const soon = setup({ ready: true, aliveAfterDrop: false, deadline: Date.now() + 30_000 });
    const before = Date.now();
    await trackUntilReady(soon.ctx, soon.worker, soon.drop);
    const after = Date.now();
    // What was left of the deadline when it waited, however slow the machine.
    expect(soon.waits[0]!.timeoutMs).toBeGreaterThanOrEqual(soon.ctx.deadline - after);
    expect(soon.waits[0]!.timeoutMs).toBeLessThanOrEqual(soon.ctx.deadline - before);
  });
});
