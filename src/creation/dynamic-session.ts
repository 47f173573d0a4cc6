import type { AuthType } from '../config/auth-type.js';
import type { LaunchMethod } from '../config/schema.js';
import { CommunitySession } from '../sessions/community-session.js';
import type { Liveness } from '../sessions/liveness.js';
import type { WorkerConnection } from '../deephaven/worker-connection.js';
import type { LaunchedWorker } from './launchers/launcher.js';

/**
 * A worker created by session_community_create: a community session that also owns the launched worker and
 * stops it when closed. The token lives only in memory.
 */
export class DynamicSession extends CommunitySession {
  private stopped: Promise<void> | undefined;

  constructor(
    name: string,
    readonly worker: LaunchedWorker,
    readonly launchMethod: LaunchMethod,
    auth: AuthType,
    token: string | undefined,
    readonly tokenGenerated: boolean,
    language: string | undefined,
    private readonly onStopped: () => void,
    /** The Deephaven version the worker reported in its ready line. */
    version?: string,
  ) {
    // 127.0.0.1, not localhost: the worker binds IPv4 loopback only.
    super(
      name,
      'dynamic',
      {
        host: '127.0.0.1',
        port: worker.port,
        useTls: false,
        auth,
        token: () => token,
        knownVersion: version,
      },
      language,
    );
  }

  /** What a person types into a browser (the connection itself uses 127.0.0.1). */
  override get publicUrl(): string {
    return `http://localhost:${this.worker.port}`;
  }

  override async liveness(attemptToConnect: boolean): Promise<Liveness & { connection?: WorkerConnection }> {
    if (!(await this.worker.isAlive())) {
      const tail = this.worker.logTail().slice(-3).join(' | ');
      return {
        status: 'OFFLINE',
        detail: `the ${this.launchMethod === 'docker' ? 'container' : 'worker process'} is no longer running${tail ? `; last output: ${tail}` : ''}`,
      };
    }
    return super.liveness(attemptToConnect);
  }

  /** Closes the connection and stops the worker; idempotent, never throws. */
  override close(): Promise<void> {
    this.stopped ??= (async () => {
      await super.close().catch(() => undefined);
      await this.worker.stop();
      // A worker that would not stop stays tracked, so the next start-up sweep still finds it.
      if (!(await this.worker.isAlive())) this.onStopped();
    })();
    return this.stopped;
  }
}
