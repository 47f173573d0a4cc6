import { errorMessage } from '../../util/errors.js';
import { logger } from '../../util/logger.js';
import type { CreatePlan } from '../params/resolve.js';
import type { StartedWorker } from '../start-worker.js';
import { planMatches } from './pool-match.js';
import type { PoolSpec } from './pool-plan.js';
import { poolAdjustment, retryDelayMs } from './pool-sizing.js';

export interface WarmPoolDeps {
  /** Starts one pooled worker (tracked like any worker); stops what it started on failure or abort. */
  start(plan: CreatePlan, signal: AbortSignal): Promise<StartedWorker>;
  /** Slots held by created sessions and creates under way. */
  occupied(): number;
  /** Pooled workers start only after this (the start-up orphan sweep). */
  gate: Promise<unknown>;
}

/** A pooled worker taken by a create: it is the caller's from now on (stop it if it is not used). */
export interface ClaimedWorker extends StartedWorker {
  /** The name it was pooled under. */
  poolName: string;
}

interface Entry {
  name: string;
  abort: AbortController;
  worker?: StartedWorker;
  /** Settles when its start ended and, if it was evicted or drained, when it is stopped. */
  done: Promise<void>;
}

export interface PoolStatus {
  size: number;
  ready: number;
  starting: number;
}

/**
 * Workers started ahead of demand, each with its own PSK, handed out at most once. Nothing runs on a pooled
 * worker: it is in no registry, so no tool reaches it; its login connection (which ran nothing) goes to the
 * session that claims it. Taking a worker is synchronous, so two creates can never take the same one.
 */
export class WarmPool {
  private spec: PoolSpec | undefined;
  /** Pooled workers, starting or ready, in start order. */
  private readonly entries: Entry[] = [];
  /** Stops under way of evicted or drained workers (drain waits for them). */
  private readonly stopping = new Set<Promise<void>>();
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private fullLogged = false;

  constructor(private readonly deps: WarmPoolDeps) {}

  /** Sets what the pool keeps (undefined: no pool) and starts filling it. Call after drain when replacing one. */
  configure(spec: PoolSpec | undefined): void {
    this.spec = spec;
    this.failures = 0;
    this.fullLogged = false;
    if (spec)
      logger.info(
        { size: spec.size, method: spec.template.method, heap_size_gb: spec.template.heapSizeGb },
        'warm pool configured',
      );
    this.rebalance();
  }

  status(): PoolStatus {
    return {
      size: this.spec?.size ?? 0,
      ready: this.entries.filter((e) => e.worker).length,
      starting: this.entries.filter((e) => !e.worker).length,
    };
  }

  /**
   * Takes a ready pooled worker whose plan matches the request's, or returns undefined. Synchronous: a worker
   * is handed out at most once. The caller checks it is alive before using it.
   */
  take(plan: CreatePlan): ClaimedWorker | undefined {
    if (!this.spec || !planMatches(this.spec.template, plan)) return undefined;
    const i = this.entries.findIndex((e) => e.worker);
    if (i < 0) return undefined;
    const [e] = this.entries.splice(i, 1);
    this.fullLogged = false;
    return { ...e!.worker!, poolName: e!.name };
  }

  /** Starts or stops pooled workers so the pool has what the size and the free slots allow. */
  rebalance(): void {
    const spec = this.spec;
    if (!spec) return;
    const n = poolAdjustment({
      size: spec.size,
      max: spec.max,
      occupied: this.deps.occupied(),
      pooled: this.entries.length,
    });
    // Giving up slots never waits: a create must not exceed max_concurrent_sessions while the pool backs off.
    for (let i = 0; i < -n; i++) this.evictOne('a create needs the slot');
    // Starting waits out a back-off; one failed start sets it, and the rest of this round waits too.
    for (let i = 0; i < n && !this.retryTimer; i++) this.startOne(spec);
  }

  /** Stops every pooled worker, ready or still starting, and waits until each is gone. Nothing refills. */
  async drain(reason: string): Promise<void> {
    this.spec = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const n = this.entries.length;
    while (this.entries.length) this.evictOne(reason);
    if (n) logger.info({ workers: n, reason }, 'draining the warm pool');
    await Promise.all([...this.stopping]);
  }

  private startOne(spec: PoolSpec): void {
    let plan: CreatePlan;
    try {
      plan = spec.next();
    } catch (e) {
      this.failed(spec, `cannot resolve its parameters: ${errorMessage(e)}`);
      return;
    }
    const entry: Entry = { name: plan.name, abort: new AbortController(), done: Promise.resolve() };
    this.entries.push(entry);
    const t0 = Date.now();
    entry.done = (async () => {
      await this.deps.gate;
      entry.abort.signal.throwIfAborted();
      logger.info({ pooled: entry.name }, 'warm pool: starting a worker');
      const w = await this.deps.start(plan, entry.abort.signal);
      if (entry.abort.signal.aborted) {
        await stopWorker(w);
        return;
      }
      entry.worker = w;
      this.failures = 0;
      const s = this.status();
      logger.info(
        { pooled: entry.name, kind: w.handle.kind, port: w.handle.endpoint.port, ms: Date.now() - t0, ...s },
        'warm pool: worker ready',
      );
      if (s.ready >= s.size && !this.fullLogged) {
        this.fullLogged = true;
        logger.info(s, 'warm pool full');
      }
    })().catch((e: unknown) => {
      if (entry.abort.signal.aborted) return; // drained or evicted: not a failure
      this.remove(entry);
      this.failed(spec, errorMessage(e));
    });
  }

  private failed(spec: PoolSpec, why: string): void {
    // One back-off per failed round: the other starts of that round failing too (Docker down) add nothing, and a
    // setting already replaced is not retried at all.
    if (this.spec !== spec || this.retryTimer) return;
    this.failures++;
    const delay = retryDelayMs(this.failures);
    logger.warn(
      { failures: this.failures, retry_in_ms: delay, err: why },
      'warm pool: a pooled worker did not start; retrying later',
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.rebalance();
    }, delay);
    this.retryTimer.unref();
  }

  /** Stops one pooled worker: a starting one first (it is the least use), else the newest ready one. */
  private evictOne(reason: string): void {
    const starting = this.entries.findLast((e) => !e.worker);
    const e = starting ?? this.entries.at(-1);
    if (!e) return;
    this.remove(e);
    this.fullLogged = false;
    e.abort.abort(new Error(reason));
    const stopped = (async () => {
      await e.done.catch(() => undefined); // a starting worker stops itself on the abort
      if (e.worker) await stopWorker(e.worker);
    })();
    this.stopping.add(stopped);
    void stopped.finally(() => this.stopping.delete(stopped));
    logger.info({ pooled: e.name, reason }, 'warm pool: stopping a pooled worker');
  }

  private remove(e: Entry): void {
    const i = this.entries.indexOf(e);
    if (i >= 0) this.entries.splice(i, 1);
  }
}

/** Closes the login connection and stops the worker (untracked once gone). Never throws. */
export async function stopWorker(w: StartedWorker): Promise<void> {
  await w.connection.close().catch(() => undefined);
  await w.handle.stop();
}
