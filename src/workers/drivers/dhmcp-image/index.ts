import type Docker from 'dockerode';
import type { CreatePlan } from '../../params/resolve.js';
import { phaseReporter } from '../../progress.js';
import type { LaunchContext, RunningWorker, WorkerDriver } from '../driver.js';
import { attachContainer, launchContainer, sweepContainers } from '../shared/container.js';
import { dhWorkerSpec, workerEnvironment } from '../shared/dh-worker-protocol.js';
import { WorkerOutput, dhWorkerLine } from '../shared/worker-output.js';
import { trackUntilReady } from '../shared/track-until-ready.js';

/**
 * Containers of a dh-mcp worker image (images/, scripts/build-images.sh; labelled
 * io.dh-mcp.worker-protocol=dh-worker/1): launchers/dh_worker.py inside speaks the DH-WORKER protocol, so the
 * PSK goes through the attached stdin and never appears in `docker inspect`.
 */
export function dhmcpImageDriver(docker: () => Docker): WorkerDriver {
  return {
    kind: 'dhmcp-image',

    async launch(plan: CreatePlan, ctx: LaunchContext): Promise<RunningWorker> {
      ctx.signal.throwIfAborted();
      const booting = phaseReporter(ctx.onProgress, 'start');
      booting?.(`launching docker worker '${plan.name}' (${plan.docker.image})`);
      const spec = dhWorkerSpec(plan, ctx.exitWithOwner);
      const worker = await launchContainer(docker(), {
        kind: 'dhmcp-image',
        name: plan.name,
        image: plan.docker.image,
        env: workerEnvironment(spec),
        labels: ctx.labels,
        memoryLimitGb: plan.docker.memoryLimitGb,
        cpuLimit: plan.docker.cpuLimit,
        volumes: plan.docker.volumes,
        stdinSecret: plan.auth === 'PSK' ? plan.token : undefined,
        output: new WorkerOutput(dhWorkerLine),
      });
      const ready = await trackUntilReady(ctx, worker, () => worker.discard(), booting);
      return worker.running(ready);
    },

    reattach: (record) => attachContainer(docker, 'dhmcp-image', record),
    sweepLabelled: (isOrphan) => sweepContainers(docker(), 'dhmcp-image', isOrphan),
  };
}
