import type Docker from 'dockerode';
import type { CreatePlan } from '../../creation/create-request.js';
import { dockerClient } from '../docker-client.js';
import { dhmcpImageDriver } from './dhmcp-image/index.js';
import type { AttachedWorker, WorkerDriver, WorkerRecord } from './driver.js';
import { pythonDriver } from './python/index.js';

export type {
  AttachedWorker,
  RunningWorker,
  WorkerDriver,
  WorkerIdentity,
  WorkerKind,
  WorkerRecord,
} from './driver.js';

/**
 * The worker kinds this server can run, and the one place that maps a plan's launch_method (and, for Docker,
 * the image) to a kind.
 */
export class DriverSet {
  private readonly drivers: WorkerDriver[];

  constructor(private readonly docker: () => Docker = dockerClient) {
    this.drivers = [pythonDriver, dhmcpImageDriver(docker)];
  }

  /** The driver that runs this plan. */
  async forPlan(plan: CreatePlan): Promise<WorkerDriver> {
    return this.byKind(plan.method === 'python' ? 'python' : 'dhmcp-image');
  }

  /** The driver that re-attaches this record's worker, or undefined for a kind this build does not know. */
  reattach(record: WorkerRecord): AttachedWorker | undefined {
    return this.drivers.find((d) => d.kind === record.kind)?.reattach(record);
  }

  all(): readonly WorkerDriver[] {
    return this.drivers;
  }

  private byKind(kind: string): WorkerDriver {
    const d = this.drivers.find((x) => x.kind === kind);
    if (!d) throw new Error(`no driver for worker kind '${kind}'`);
    return d;
  }
}
