import type { CreatePlan } from '../params/resolve.js';
import type { ProgressFn } from '../progress.js';

/**
 * What every worker kind implements. Nothing outside `drivers/` knows how a kind starts, where its worker
 * runs, how it is found again or how it is stopped: a new kind is one new folder plus one line in the set.
 */
export type WorkerLanguage = 'python' | 'groovy';

/** The kinds this build knows. Records carry the kind, so a record names the driver that can re-attach it. */
export const WORKER_KINDS = ['python', 'dhmcp-image', 'plain-image'] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];

/**
 * What a tracking record holds about one worker: enough for its driver to find it again and stop it after the
 * process that started it died. JSON only; each driver validates its own fields when re-attaching.
 */
export interface WorkerRecord {
  kind: string;
  [field: string]: unknown;
}

/** How a worker is identified to people and clients (the keys tools and the CLI print). */
export interface WorkerIdentity {
  process_id?: number;
  container_id?: string;
}

export interface LaunchContext {
  /** Labels naming the owner (instance, session, creation time, expiry) for resources that carry labels. */
  labels: Record<string, string>;
  /** Stop the worker when this process dies (false: a worker meant to outlive its starter). */
  exitWithOwner: boolean;
  /** Where a worker that outlives us writes its output (it must not hold our pipes). */
  logFile?: string;
  signal: AbortSignal;
  /** Epoch ms by which the worker must report ready. */
  deadline: number;
  onProgress?: ProgressFn;
  /** Called as soon as something exists that must be found again if we die (before ready), and on retries. */
  track(record: WorkerRecord): void;
  /** Called when what was tracked is provably gone (a failed attempt stopped). */
  untrack(): void;
}

/** A worker that reported ready: the driver's side of a worker handle. */
export interface RunningWorker {
  readonly kind: WorkerKind;
  /** Host port on the loopback interface. */
  readonly port: number;
  /** The Deephaven version, when the worker reported it before any login. */
  readonly version?: string;
  /** The console language, when known before a login (undefined: ask the worker). */
  readonly console?: string;
  /** Where the PSK can be read by others on this machine, when it cannot be kept out of view; else undefined. */
  readonly secretExposure?: string;
  readonly identity: WorkerIdentity;
  /** What goes into the instance or detached record. */
  record(): WorkerRecord;
  /** Extra facts for session_details. */
  describe(): Record<string, unknown>;
  /** What stays on the machine after stop (and how to remove it); undefined or empty when nothing does. */
  leftBehind?(): string[];
  isAlive(): Promise<boolean>;
  /** Stops it after a failed start, removing also what it made for this start (kinds that make such things). */
  discard?(): Promise<void>;
  /** Why the worker died (exit code or signal, last lines), or undefined while it runs. */
  deathCause(): Promise<Error | undefined>;
  /** The last lines the worker printed, for error messages. */
  logTail(): string[];
  /** What the worker runs as ("container", "worker process"), for messages. */
  readonly noun: string;
  /** Stops the worker and frees everything it held (the kind's one verified stop). Idempotent; never throws. */
  stop(): Promise<void>;
  /**
   * Gives the worker a new session name where the kind names things after it (a container's name), when a
   * warm pool's worker becomes a session. Kinds that name nothing after the session do not implement it.
   */
  rename?(session: string): Promise<void>;
}

/** A worker found again from a record (another process started it, or it outlived its starter). */
export interface AttachedWorker {
  readonly identity: WorkerIdentity;
  readonly description: string;
  isAlive(): Promise<boolean>;
  /**
   * Stops it and removes what it left (temp dirs). 'skipped': the record no longer names our worker (a pid
   * reused by another process), so nothing was signalled.
   */
  stop(graceMs?: number): Promise<'stopped' | 'gone' | 'skipped'>;
}

export interface WorkerDriver {
  readonly kind: WorkerKind;
  /**
   * Launches a worker for the plan, handling its own ports (a retry when a port was taken, for example), and
   * waits for its own ready signal. On any failure everything it started is stopped before it throws.
   */
  launch(plan: CreatePlan, ctx: LaunchContext): Promise<RunningWorker>;
  /** Re-attaches a worker from its record; undefined when the record is not this kind's or is malformed. */
  reattach(record: WorkerRecord): AttachedWorker | undefined;
  /**
   * Removes workers of this kind found without records (containers by label) whose owner `isOrphan` says is
   * gone; returns descriptions of what it removed. Kinds without such resources do not implement it.
   */
  sweepLabelled?(isOrphan: (labels: Record<string, string>) => boolean): Promise<string[]>;
}
