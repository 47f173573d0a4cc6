import { redactConfig } from '../config/redact.js';
import type { CredentialRetrievalMode, DhMcpConfig } from '../config/schema.js';
import { loadConfig, type LoadedConfig } from '../config/discover.js';
import { SessionRegistry } from '../sessions/registry.js';
import { staticSessionsFromConfig } from '../sessions/static-sessions.js';
import { InstanceTracker } from '../tracking/instance-tracker.js';
import { sweepOrphans } from '../tracking/orphan-sweep.js';
import { errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';
import { Mutex } from '../util/mutex.js';
import { DriverSet } from '../workers/drivers/index.js';
import { Reservations } from '../workers/reservations.js';
import { WorkerService, type CreationSettings } from '../workers/worker-service.js';
import { DEFAULT_POLICY } from '../workers/params/policy.js';
import { poolSpec, type PoolSpec } from '../workers/pool/pool-plan.js';

/**
 * The process-wide state every transport and every HTTP client session shares: the config, the session
 * registry, the worker service with its instance record, and the lock that keeps reloads from interleaving.
 * A reload that fails keeps the previous state.
 */
export class AppState {
  private readonly reloadLock = new Mutex();
  readonly workers: WorkerService;

  private constructor(
    private loaded: LoadedConfig,
    readonly registry: SessionRegistry,
    private readonly loader: () => Promise<LoadedConfig>,
    readonly tracker: InstanceTracker,
    drivers: DriverSet,
    sweepGate: Promise<unknown>,
  ) {
    this.workers = new WorkerService({
      registry,
      reservations: new Reservations(),
      tracker,
      drivers,
      sweepGate,
    });
  }

  static async create(
    loader: () => Promise<LoadedConfig> = () => loadConfig(),
    opts: { sweepOrphans?: boolean; tracker?: InstanceTracker; drivers?: DriverSet } = {},
  ): Promise<AppState> {
    const loaded = await loader();
    logConfig(loaded);
    const tracker = opts.tracker ?? new InstanceTracker();
    const drivers = opts.drivers ?? new DriverSet();
    // In the background: the server answers tools/list at once; creates wait for the sweep to finish.
    const sweepGate = opts.sweepOrphans === false ? Promise.resolve() : sweep(tracker, drivers);
    const state = new AppState(
      loaded,
      new SessionRegistry(staticSessionsFromConfig(loaded.config)),
      loader,
      tracker,
      drivers,
      sweepGate,
    );
    // Pooled workers start in the background, after the sweep; a pool this machine cannot run is reported and
    // left empty, as creation itself keeps working.
    try {
      state.workers.configurePool(poolSpec(loaded.config.community?.session_creation));
    } catch (e) {
      logger.error({ err: errorMessage(e) }, 'warm pool disabled: its workers cannot start on this machine');
    }
    return state;
  }

  get config(): DhMcpConfig {
    return this.loaded.config;
  }

  get configSource(): string {
    return this.loaded.source;
  }

  get credentialMode(): CredentialRetrievalMode {
    return this.loaded.config.security?.community?.credential_retrieval_mode ?? 'none';
  }

  /** What the worker service needs from the current configuration for a create. */
  get creationSettings(): CreationSettings {
    return {
      creation: this.loaded.config.community?.session_creation,
      credentialMode: this.credentialMode,
      policy: this.loaded.config.security?.community ?? DEFAULT_POLICY,
    };
  }

  /**
   * Re-reads the config. Validation happens before anything is torn down, so a bad file leaves the running
   * state untouched. On success the new sessions take the old ones' place; creates under way are cancelled
   * and dynamic workers stopped and untracked (the reference's behaviour), connections closed.
   */
  async reload(): Promise<void> {
    await this.reloadLock.run(async () => {
      const next = await this.loader();
      // Checked before anything is torn down: a pool this machine cannot run refuses the reload.
      const pool: PoolSpec | undefined = poolSpec(next.config.community?.session_creation);
      logConfig(next);
      // Synchronous up to the aborts: no create can register in between.
      const old = this.registry.list();
      for (const s of old) this.registry.remove(s.id);
      this.loaded = next;
      for (const s of staticSessionsFromConfig(next.config)) this.registry.add(s);
      const aborted = this.workers.abortAll('the configuration was reloaded');
      // Pooled workers too, even when the pool settings did not change: a reload stops every created worker.
      const drained = this.workers.drainPool('the configuration was reloaded');
      await aborted;
      await drained;
      await closeEach(old);
      this.workers.configurePool(pool);
    });
  }

  /** Cancels creates, stops every dynamic and pooled worker and closes every connection, all in parallel. */
  async shutdown(): Promise<void> {
    await Promise.all([
      this.workers.abortAll('the server is shutting down'),
      this.workers.drainPool('the server is shutting down'),
      this.registry.closeAll(),
    ]);
    if (this.tracker.tracked === 0) this.tracker.dispose();
  }
}

async function sweep(tracker: InstanceTracker, drivers: DriverSet): Promise<void> {
  try {
    await sweepOrphans({ dir: tracker.dir, selfInstanceId: tracker.instanceId, drivers });
  } catch (e) {
    logger.warn({ err: errorMessage(e) }, 'orphan sweep failed');
  }
}

async function closeEach(sessions: Array<{ id: string; close(): Promise<void> }>): Promise<void> {
  await Promise.all(
    sessions.map((s) =>
      s
        .close()
        .catch((e: unknown) =>
          logger.warn({ session: s.id, err: errorMessage(e) }, 'closing session failed'),
        ),
    ),
  );
}

function logConfig(loaded: LoadedConfig): void {
  logger.info({ source: loaded.source, config: redactConfig(loaded.config) }, 'configuration loaded');
}
