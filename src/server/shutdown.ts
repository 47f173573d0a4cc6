import { logger } from '../util/logger.js';

export type ShutdownReason =
  'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'stdin closed' | 'transport closed' | 'fatal error';

/**
 * Runs the cleanup once, whatever triggers it first, and exits. A deadline bounds the cleanup so an MCP
 * client's own kill timer never finds us half-way; a second signal exits at once.
 */
export function installShutdown(
  cleanup: () => Promise<void>,
  deadlineMs = 12_000,
): (reason: ShutdownReason) => void {
  let started = false;
  const shutdown = (reason: ShutdownReason): void => {
    if (started) {
      if (reason.startsWith('SIG')) {
        logger.warn({ reason }, 'second signal during shutdown: exiting now');
        process.exit(130);
      }
      return;
    }
    started = true;
    const t0 = Date.now();
    logger.info({ reason }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ ms: deadlineMs }, 'shutdown deadline passed: exiting with cleanup unfinished');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    cleanup()
      .catch((e: unknown) => logger.error({ err: String(e) }, 'cleanup failed'))
      .finally(() => {
        logger.info({ ms: Date.now() - t0 }, 'shutdown complete');
        process.exit(0);
      });
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => shutdown(sig));
  return shutdown;
}
