import { redactConfig } from '../config/redact.js';
import type { CredentialRetrievalMode, DhMcpConfig } from '../config/schema.js';
import { loadConfig, type LoadedConfig } from '../config/discover.js';
import { SessionCreator } from '../creation/session-creator.js';
import { SessionRegistry } from '../sessions/registry.js';
import { staticSessionsFromConfig } from '../sessions/static-sessions.js';
import { InstanceTracker } from '../tracking/instance-tracker.js';
import { sweepOrphans } from '../tracking/orphan-sweep.js';
import { errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';
import { Mutex } from '../util/mutex.js';

/**
 * The process-wide state every transport and every HTTP client session shares: the config, the session
 * registry, the session creator with its instance record, and the lock that keeps reloads from interleaving.
 * A reload that fails keeps the previous state.
 */
export class AppState {
  private readonly reloadLock = new Mutex();
  readonly creator: SessionCreator;

  private constructor(
    private loaded: LoadedConfig,
    private sessions: SessionRegistry,
    private readonly loader: () => Promise<LoadedConfig>,
    tracker: InstanceTracker,
  ) {
    this.creator = new SessionCreator(
      {
        creationConfig: () => this.loaded.config.community?.session_creation,
        credentialMode: () => this.credentialMode,
        registry: () => this.sessions,
      },
      tracker,
    );
  }

  static async create(
    loader: () => Promise<LoadedConfig> = () => loadConfig(),
    opts: { sweepOrphans?: boolean; tracker?: InstanceTracker } = {},
  ): Promise<AppState> {
    const loaded = await loader();
    logConfig(loaded);
    const state = new AppState(
      loaded,
      new SessionRegistry(staticSessionsFromConfig(loaded.config)),
      loader,
      opts.tracker ?? new InstanceTracker(),
    );
    // In the background: the server answers tools/list at once; creates wait for the sweep to finish.
    if (opts.sweepOrphans !== false) state.creator.afterSweep(state.sweepOrphans());
    return state;
  }

  private async sweepOrphans(): Promise<void> {
    try {
      const { dockerAnswers, dockerClient } = await import('../creation/docker-client.js');
      const docker = (await dockerAnswers(2000)) ? dockerClient() : undefined;
      await sweepOrphans({
        dir: this.creator.tracker.dir,
        selfInstanceId: this.creator.tracker.instanceId,
        docker,
      });
    } catch (e) {
      logger.warn({ err: errorMessage(e) }, 'orphan sweep failed');
    }
  }

  get config(): DhMcpConfig {
    return this.loaded.config;
  }

  get configSource(): string {
    return this.loaded.source;
  }

  get registry(): SessionRegistry {
    return this.sessions;
  }

  get credentialMode(): CredentialRetrievalMode {
    return this.loaded.config.security?.community?.credential_retrieval_mode ?? 'none';
  }

  /**
   * Re-reads the config. Validation happens before anything is torn down, so a bad file leaves the running
   * state untouched. On success the new sessions take the old ones' place; creates under way are cancelled
   * and dynamic workers stopped and untracked (the reference's behaviour), connections closed.
   */
  async reload(): Promise<void> {
    await this.reloadLock.run(async () => {
      const next = await this.loader();
      logConfig(next);
      const old = this.sessions;
      this.loaded = next;
      this.sessions = new SessionRegistry(staticSessionsFromConfig(next.config));
      await this.creator.abortAll('the configuration was reloaded');
      await old.closeAll();
    });
  }

  /** Cancels creates, stops every dynamic worker and closes every connection, all in parallel. */
  async shutdown(): Promise<void> {
    await Promise.all([this.creator.abortAll('the server is shutting down'), this.sessions.closeAll()]);
    if (this.creator.tracker.tracked === 0) this.creator.tracker.dispose();
  }
}

function logConfig(loaded: LoadedConfig): void {
  logger.info({ source: loaded.source, config: redactConfig(loaded.config) }, 'configuration loaded');
}
