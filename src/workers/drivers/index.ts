import type Docker from 'dockerode';
import type { CreatePlan } from '../params/resolve.js';
import { lazyDockerClient } from '../docker-client.js';
import { ensureImage, ImagePullError, normaliseImageRef, type PullProgress } from '../image-pull.js';
import { LaunchError } from '../launch-error.js';
import { phaseReporter, type ProgressFn } from '../progress.js';
import { dhmcpImageDriver } from './dhmcp-image/index.js';
import type { AttachedWorker, WorkerDriver, WorkerRecord } from './driver.js';
import { plainImageDriver } from './plain-image/index.js';
import { pythonDriver } from './python/index.js';
import { explainDockerError } from './shared/container.js';

export type {
  AttachedWorker,
  RunningWorker,
  WorkerDriver,
  WorkerIdentity,
  WorkerKind,
  WorkerRecord,
} from './driver.js';

/** The label dh-mcp's own worker images carry: they speak the DH-WORKER protocol of launchers/dh_worker.py. */
export const WORKER_PROTOCOL_LABEL = 'io.dh-mcp.worker-protocol';
export const WORKER_PROTOCOL = 'dh-worker/1';

/** Whether an image (by its labels) is one of dh-mcp's own, which speak the DH-WORKER protocol. */
export function speaksDhWorker(labels: Record<string, string> | undefined): boolean {
  return labels?.[WORKER_PROTOCOL_LABEL] === WORKER_PROTOCOL;
}

/**
 * The worker kinds this server can run, and the one place that maps a request to a kind: launch_method
 * "python" to the venv driver; "docker" to the dh-mcp image driver when the image carries the protocol label,
 * else to the plain Deephaven image driver. The image is pulled first when the pull policy says so.
 */
export class DriverSet {
  private readonly python = pythonDriver;
  private readonly dhmcpImage: WorkerDriver;
  private readonly plainImage: WorkerDriver;

  /** `docker` gives this set's Docker client (by default its own, created on first use). */
  constructor(private readonly docker: () => Docker = lazyDockerClient()) {
    this.dhmcpImage = dhmcpImageDriver(docker);
    this.plainImage = plainImageDriver(docker);
  }

  /** The driver that runs this plan (for Docker: after making sure the image is there). */
  async forPlan(
    plan: CreatePlan,
    opts: { signal?: AbortSignal; onProgress?: ProgressFn } = {},
  ): Promise<WorkerDriver> {
    if (plan.method === 'python') return this.python;
    const image = normaliseImageRef(plan.docker.image);
    const pull = phaseReporter(opts.onProgress, 'pull');
    try {
      const docker = this.docker();
      const { pulled } = await ensureImage(docker, image, {
        policy: plan.docker.pullPolicy,
        timeoutMs: plan.docker.pullTimeoutMs,
        signal: opts.signal,
        onProgress: (p) =>
          pull?.(pullMessage(p), { progress: p.bytesDone, total: p.bytesTotal || undefined }),
      });
      if (pulled) pull?.(`pulled ${image}`);
      const labels = (await docker.getImage(image).inspect()).Config?.Labels ?? {};
      return speaksDhWorker(labels) ? this.dhmcpImage : this.plainImage;
    } catch (e) {
      if (e instanceof ImagePullError) throw new LaunchError(e.message);
      throw explainDockerError(e, image);
    }
  }

  /** The driver that re-attaches this record's worker, or undefined for a kind this build does not know. */
  reattach(record: WorkerRecord): AttachedWorker | undefined {
    return this.all()
      .find((d) => d.kind === record.kind)
      ?.reattach(record);
  }

  all(): readonly WorkerDriver[] {
    return [this.python, this.dhmcpImage, this.plainImage];
  }
}

function pullMessage(p: PullProgress): string {
  const mb = (n: number): string => (n / 1e6).toFixed(1);
  const bytes = p.bytesTotal ? `, ${mb(p.bytesDone)} of ${mb(p.bytesTotal)} MB` : '';
  return `pulling ${p.image}: ${p.layersDone}/${p.layers} layers${bytes}`;
}
