import type { WorkerIdentity, WorkerKind, WorkerRecord } from './drivers/driver.js';

/**
 * A started worker, whoever started it: the MCP tools wrap it into a registered session, the CLI and the
 * library hand its connection details to a program. Only the driver that launched it knows what it runs as.
 */
export interface WorkerHandle {
  readonly name: string;
  readonly kind: WorkerKind;
  /** Where programs connect (127.0.0.1; see urls.ts). */
  readonly endpoint: { host: string; port: number; url: string };
  /** What a person opens (http://localhost:<port>). */
  readonly browserUrl: string;
  readonly auth: {
    type: 'PSK' | 'ANONYMOUS';
    /** The PSK; undefined for an anonymous worker. */
    token?: string;
    /** dh-mcp generated the PSK (nobody else knows it). */
    generated: boolean;
  };
  /** The Deephaven version the worker reported, when it did. */
  readonly version?: string;
  /** The console language ("python", "groovy"). */
  readonly console?: string;
  /** Process id or container id, as tools and the CLI print them. */
  readonly identity: WorkerIdentity;
  /** What the worker runs as ("container", "worker process"), for messages. */
  readonly noun: string;
  /** Where the PSK can be read by others on this machine, when the worker kind cannot keep it out of view. */
  readonly secretExposure?: string;
  /** What a tracking record holds about it (instance and detached records). */
  record(): WorkerRecord;
  /** Facts for session_details. */
  describe(): Record<string, unknown>;
  /** What stays on the machine after stop (named volumes, say), each with how to remove it. */
  leftBehind(): string[];
  isAlive(): Promise<boolean>;
  logTail(): string[];
  /**
   * Gives the worker a new session name (a warm pool's worker claimed by a create): its tracking record moves to
   * the new name, and the kind renames what it named after the old one (a container). Never throws: a name the
   * kind could not change is logged and kept.
   */
  rename(name: string): Promise<void>;
  /**
   * Stops the worker (the kind's one verified stop) and forgets its tracking record once it is gone. Resolves
   * to whether it is gone. Idempotent; never throws.
   */
  stop(): Promise<boolean>;
}
