import { redactConfig } from '../config/redact.js';
import type { DhMcpConfig } from '../config/schema.js';
import { loadConfig, type LoadedConfig } from '../config/discover.js';
import { SessionRegistry } from '../sessions/registry.js';
import { staticSessionsFromConfig } from '../sessions/static-sessions.js';
import { logger } from '../util/logger.js';
import { Mutex } from '../util/mutex.js';

/**
 * The process-wide state every transport and every HTTP client session shares: the config, the session
 * registry, and the lock that keeps reloads from interleaving. A reload that fails keeps the previous state.
 */
export class AppState {
  private readonly reloadLock = new Mutex();

  private constructor(
    private loaded: LoadedConfig,
    private sessions: SessionRegistry,
    private readonly loader: () => Promise<LoadedConfig>,
  ) {}

  static async create(loader: () => Promise<LoadedConfig> = () => loadConfig()): Promise<AppState> {
    const loaded = await loader();
    logConfig(loaded);
    return new AppState(loaded, new SessionRegistry(staticSessionsFromConfig(loaded.config)), loader);
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

  /**
   * Re-reads the config. Validation happens before anything is torn down, so a bad file leaves the running
   * state untouched; on success the old connections are closed and the new sessions take their place.
   */
  async reload(): Promise<void> {
    await this.reloadLock.run(async () => {
      const next = await this.loader();
      logConfig(next);
      const old = this.sessions;
      this.loaded = next;
      this.sessions = new SessionRegistry(staticSessionsFromConfig(next.config));
      await old.closeAll();
    });
  }

  async shutdown(): Promise<void> {
    await this.sessions.closeAll();
  }
}

function logConfig(loaded: LoadedConfig): void {
  logger.info({ source: loaded.source, config: redactConfig(loaded.config) }, 'configuration loaded');
}
