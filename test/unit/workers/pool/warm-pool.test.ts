import { describe, expect, it, vi } from 'vitest';
import { SessionCreationSchema } from '../../../../src/config/schema.js';
import type { CreateArgs } from '../../../../src/workers/params/model.js';
import { resolveCreateRequest, type CreatePlan } from '../../../../src/workers/params/resolve.js';
import { poolSpec } from '../../../../src/workers/pool/pool-plan.js';
import { WarmPool } from '../../../../src/workers/pool/warm-pool.js';
import type { StartedWorker } from '../../../../src/workers/start-worker.js';

// The pool's bookkeeping with fake workers (no JVM): what is started, taken, stopped, and when.
const machine = { memoryGb: 16, cpus: 4 };
const env = { DH_MCP_VENV: '/opt/venv' };
const creation = (size: number, max = 5) =>
  SessionCreationSchema.parse({
    max_concurrent_sessions: max,
    defaults: { heap_size_gb: 1 },
    warm_pool: { size },
  });
const request = (args: Partial<CreateArgs> = {}): CreatePlan =>
  resolveCreateRequest({ session_name: 'mine', ...args } as CreateArgs, creation(1), { env, machine });

interface Fake {
  plan: CreatePlan;
  signal: AbortSignal;
  finish(): void;
  fail(e: Error): void;
  stopped: boolean;
}

function harness(size: number, max = 5, { abortRejects = true } = {}) {
  const starts: Fake[] = [];
  let occupied = 0;
  const pool = new WarmPool({
    start: (plan, signal) =>
      new Promise<StartedWorker>((resolve, reject) => {
        const f: Fake = {
          plan,
          signal,
          stopped: false,
          finish: () =>
            resolve({
              handle: {
                name: plan.name,
                kind: 'python',
                endpoint: { host: '127.0.0.1', port: 1, url: '' },
                isAlive: async () => !f.stopped,
                stop: async () => ((f.stopped = true), true),
              },
              connection: { usable: true, close: async () => undefined },
            } as unknown as StartedWorker),
          fail: reject,
        };
        // A real start stops what it started when aborted, and rejects; unless it had already logged in.
        if (abortRejects)
          signal.addEventListener('abort', () => {
            f.stopped = true;
            reject(new Error('cancelled'));
          });
        starts.push(f);
      }),
    occupied: () => occupied,
    gate: Promise.resolve(),
  });
  pool.configure(poolSpec(creation(size, max), { env, machine }));
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return { pool, starts, settle, setOccupied: (n: number) => (occupied = n) };
}

describe('WarmPool', () => {
  it('starts up to its size after the gate, each with its own plan, and hands a worker out at most once', async () => {
    const { pool, starts, settle } = harness(2);
    await settle();
    expect(starts).toHaveLength(2);
    expect(starts[0]!.plan.name).not.toBe(starts[1]!.plan.name);
    expect(pool.take(request())).toBeUndefined(); // none ready yet
    starts[0]!.finish();
    await settle();
    expect(pool.status()).toEqual({ size: 2, ready: 1, starting: 1 });
    // Two takes in a row (two creates racing): only the first gets the one ready worker.
    const a = pool.take(request());
    const b = pool.take(request());
    expect(a?.poolName).toBe(starts[0]!.plan.name);
    expect(b).toBeUndefined();
    expect(pool.status()).toEqual({ size: 2, ready: 0, starting: 1 });
  });

  it('serves only matching requests', async () => {
    const { pool, starts, settle } = harness(1);
    await settle();
    starts[0]!.finish();
    await settle();
    expect(pool.take(request({ heap_size_gb: 2 }))).toBeUndefined();
    expect(pool.take(request({ auth_token: 'my-own-token-1' }))).toBeUndefined();
    expect(pool.take(request())).toBeDefined();
  });

  it('refills on rebalance, within the slots sessions leave, and gives slots back (a starting worker first)', async () => {
    const { pool, starts, settle, setOccupied } = harness(2, 3);
    await settle();
    starts[0]!.finish();
    await settle();
    setOccupied(2); // two sessions or creates: one slot left for the pool
    pool.rebalance();
    expect(starts[1]!.stopped).toBe(true); // the starting one went
    expect(starts[0]!.stopped).toBe(false);
    expect(pool.status()).toEqual({ size: 2, ready: 1, starting: 0 });
    setOccupied(0);
    pool.rebalance();
    await settle();
    expect(starts).toHaveLength(3);
  });

  it('a start that completes after the drain began is stopped, not pooled', async () => {
    const { pool, starts, settle } = harness(1, 5, { abortRejects: false });
    await settle();
    const drained = pool.drain('test');
    starts[0]!.finish();
    await drained;
    expect(starts[0]!.stopped).toBe(true);
    expect(pool.status()).toEqual({ size: 0, ready: 0, starting: 0 });
  });

  it('drain stops ready and starting workers', async () => {
    const { pool, starts, settle } = harness(2);
    await settle();
    starts[0]!.finish();
    await settle();
    await pool.drain('test');
    expect(starts.map((s) => s.stopped)).toEqual([true, true]);
    expect(pool.status()).toEqual({ size: 0, ready: 0, starting: 0 });
    pool.rebalance(); // nothing refills a drained pool
    await settle();
    expect(starts).toHaveLength(2);
  });

  it('a failed start is retried later, not at once', async () => {
    const { pool, starts, settle } = harness(1);
    await settle();
    vi.useFakeTimers(); // the back-off timer is set at the failure
    try {
      starts[0]!.fail(new Error('boom'));
      await vi.advanceTimersByTimeAsync(0);
      pool.rebalance();
      await vi.advanceTimersByTimeAsync(4_999);
      expect(starts).toHaveLength(1); // backing off (5 s after a first failure)
      await vi.advanceTimersByTimeAsync(1);
      expect(starts).toHaveLength(2); // then retried
    } finally {
      vi.useRealTimers();
    }
    await pool.drain('test');
  });

  it('a round whose starts all fail backs off once, not once per start', async () => {
    const { pool, starts, settle } = harness(3);
    await settle();
    expect(starts).toHaveLength(3);
    vi.useFakeTimers();
    try {
      for (const s of starts) s.fail(new Error('engine down'));
      await vi.advanceTimersByTimeAsync(5_000); // the first back-off
      expect(starts).toHaveLength(6);
      for (const s of starts.slice(3)) s.fail(new Error('engine down'));
      await vi.advanceTimersByTimeAsync(10_000); // the second: 10 s, as after two failures, not after six
      expect(starts).toHaveLength(9);
    } finally {
      vi.useRealTimers();
    }
    await pool.drain('test');
  });

  it('gives up its slots to creates while it backs off after a failed start', async () => {
    const { pool, starts, settle, setOccupied } = harness(2, 3);
    await settle();
    starts[0]!.finish();
    starts[1]!.fail(new Error('boom'));
    await settle();
    expect(pool.status()).toEqual({ size: 2, ready: 1, starting: 0 });
    setOccupied(3); // sessions and creates now fill every slot
    pool.rebalance();
    await settle();
    expect(starts[0]!.stopped).toBe(true);
    expect(pool.status()).toEqual({ size: 2, ready: 0, starting: 0 });
    await pool.drain('test');
  });
});
