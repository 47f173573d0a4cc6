import type { CreatePlan } from '../../params/resolve.js';
import { logger } from '../../../util/logger.js';
import { LaunchError } from '../../launch-error.js';
import { phaseReporter } from '../../progress.js';
import type { LaunchContext, RunningWorker, WorkerDriver } from '../driver.js';
import { dhWorkerSpec } from '../shared/dh-worker-protocol.js';
import { trackUntilReady } from '../shared/track-until-ready.js';
import { freePort } from './free-port.js';
import { launchPython, type PythonWorker } from './launch.js';
import { attachPython } from './record.js';

/** Another process can bind the port between our probe and the JVM's bind: a few attempts, each a new port. */
const PORT_ATTEMPTS = 3;

/**
 * Workers run as processes from a Python venv holding deephaven-server, through launchers/dh_worker.py (the
 * DH-WORKER protocol). We pick the port (127.0.0.1 only) and retry with another when it was taken.
 */
export const pythonDriver: WorkerDriver = {
  kind: 'python',

  async launch(plan: CreatePlan, ctx: LaunchContext): Promise<RunningWorker> {
    const spec = dhWorkerSpec(plan, ctx.exitWithOwner);
    const booting = phaseReporter(ctx.onProgress, 'start');
    for (let attempt = 1; ; attempt++) {
      ctx.signal.throwIfAborted();
      booting?.(`launching python worker '${plan.name}'`);
      const worker = await launchPython({
        ...spec,
        name: plan.name,
        venvPath: plan.python.venvPath,
        port: await freePort(),
        logFile: ctx.logFile,
      });
      try {
        const ready = await trackUntilReady(ctx, worker, () => worker.stop(), booting);
        return running(worker, ready.version, ready.console);
      } catch (e) {
        if (e instanceof LaunchError && e.portTaken && attempt < PORT_ATTEMPTS && !ctx.signal.aborted) {
          logger.info(
            { session: plan.name, port: worker.port },
            'port taken before the worker bound it; retrying',
          );
          continue;
        }
        throw e;
      }
    }
  },

  reattach: attachPython,
};

function running(w: PythonWorker, version?: string, console?: string): RunningWorker {
  return {
    kind: 'python',
    port: w.port,
    version,
    console,
    identity: { process_id: w.pid },
    noun: 'worker process',
    record: () => w.record(),
    describe: () => ({ process_id: w.pid }),
    isAlive: () => w.isAlive(),
    deathCause: () => w.deathCause(),
    logTail: () => w.logTail(),
    stop: () => w.stop(),
  };
}
