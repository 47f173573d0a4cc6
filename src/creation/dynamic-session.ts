import type { AuthType } from '../config/auth-type.js';
import type { LaunchMethod } from '../config/schema.js';
import { authTypeLabel } from '../config/auth-type.js';
import { CommunitySession, type SessionCredentials } from '../sessions/community-session.js';
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
    private readonly token: string | undefined,
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

  /** What a person types into a browser. */
  get browserBaseUrl(): string {
    return `http://localhost:${this.worker.port}`;
  }

  /** The URL that logs a browser straight in; holds the secret. */
  get browserUrlWithAuth(): string {
    return this.token ? `${this.browserBaseUrl}/?psk=${encodeURIComponent(this.token)}` : this.browserBaseUrl;
  }

  override credentials(): SessionCredentials {
    return {
      auth_type: authTypeLabel(this.endpoint.auth),
      auth_token: this.token ?? '',
      connection_url: this.browserBaseUrl,
      connection_url_with_auth: this.browserUrlWithAuth,
    };
  }

  get secret(): string | undefined {
    return this.token;
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
      this.onStopped();
    })();
    return this.stopped;
  }
}
