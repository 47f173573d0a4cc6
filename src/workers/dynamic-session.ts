import type { WorkerConnection } from '../deephaven/worker-connection.js';
import { CommunitySession } from '../sessions/community-session.js';
import type { Liveness } from '../sessions/liveness.js';
import { stopExplanation, type LifecycleLimits, type PlannedStop } from './lifecycle/deadlines.js';
import { WorkerLifecycle, type LifecycleDetails } from './lifecycle/worker-lifecycle.js';
import type { WorkerHandle } from './worker-handle.js';

/**
 * A worker created by session_community_create: a community session around a worker handle, which stops the
 * worker when closed. The token lives only in memory.
 */
export class DynamicSession extends CommunitySession {
  private stopped: Promise<boolean> | undefined;
  private lifecycle: WorkerLifecycle | undefined;
  /** Why the server stopped the worker on its own (a lifecycle limit), once it did. */
  private expiredBecause: string | undefined;

  constructor(
    readonly handle: WorkerHandle,
    /** The launch method the request asked for (reported as launch_method). */
    readonly launchMethod: string,
    login?: WorkerConnection,
    /** The worker was started ahead of demand by the warm pool and claimed by this session's create. */
    readonly fromPool = false,
  ) {
    super(
      handle.name,
      'dynamic',
      {
        host: handle.endpoint.host,
        port: handle.endpoint.port,
        useTls: false,
        auth: handle.auth.type,
        token: () => handle.auth.token,
        knownVersion: handle.version,
      },
      handle.console,
    );
    if (login) this.adoptConnection(login);
  }

  get tokenGenerated(): boolean {
    return this.handle.auth.generated;
  }

  /** What a person types into a browser (the connection itself uses 127.0.0.1). */
  override get publicUrl(): string {
    return this.handle.browserUrl;
  }

  /**
   * Starts the idle timeout and maximum lifetime clocks (from now: the session is handed out); `onExpire` is
   * called once when a limit is reached, and is expected to stop the session as a delete does.
   */
  watchLifecycle(limits: LifecycleLimits, onExpire: (stop: PlannedStop) => void): void {
    this.lifecycle?.dispose();
    this.lifecycle = new WorkerLifecycle(limits, (stop) => {
      this.expiredBecause = stopExplanation(stop.reason, limits);
      onExpire(stop);
    });
  }

  /** The limits and the planned stop, for session_details (empty without limits). */
  lifecycleDetails(): LifecycleDetails {
    return this.lifecycle?.details() ?? {};
  }

  override touch(): void {
    this.lifecycle?.touch();
  }

  override beginUse(): () => void {
    return this.lifecycle?.begin() ?? (() => undefined);
  }

  /** The worker's own liveness (process or container state), with its last output lines. */
  override async goneReason(): Promise<string | undefined> {
    if (this.expiredBecause) return `the server stopped this worker because ${this.expiredBecause}`;
    if (await this.handle.isAlive()) return undefined;
    const tail = this.handle.logTail().slice(-3).join(' | ');
    return `the ${this.handle.noun} is no longer running${tail ? `; last output: ${tail}` : ''}`;
  }

  protected override goneAdvice(): string {
    return this.expiredBecause
      ? 'The session no longer exists; create a new one with session_community_create if needed.'
      : super.goneAdvice();
  }

  override async liveness(attemptToConnect: boolean): Promise<Liveness & { connection?: WorkerConnection }> {
    const gone = await this.goneReason();
    if (gone) return { status: 'OFFLINE', detail: gone };
    return super.liveness(attemptToConnect);
  }

  /** Closes the connection and stops the worker; resolves to whether the worker is gone. Never throws. */
  stop(): Promise<boolean> {
    this.lifecycle?.dispose();
    this.stopped ??= (async () => {
      await super.close().catch(() => undefined);
      return this.handle.stop();
    })();
    return this.stopped;
  }

  override async close(): Promise<void> {
    await this.stop();
  }
}
