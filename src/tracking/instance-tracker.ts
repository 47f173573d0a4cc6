import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { logger } from '../util/logger.js';
import { errorMessage } from '../util/errors.js';
import { identify } from '../util/process-identity.js';
import type { WorkerRecord } from '../workers/drivers/driver.js';
import { LABELS } from '../workers/owner-labels.js';
import type { InstanceRecord } from './instance-record.js';
import { writeJsonAtomic } from './json-file.js';
import { instancesDir } from './state-dir.js';

/**
 * This process's instance record: created lazily when the first worker is tracked, rewritten atomically
 * (temp file + rename) on every change, deleted when the last worker is gone and at a clean exit. Writes are
 * synchronous and tiny, so the file on disk always matches memory even if the process is killed right after.
 */
export class InstanceTracker {
  readonly instanceId = randomUUID();
  private readonly record: InstanceRecord;
  private readonly file: string;

  constructor(readonly dir: string = instancesDir()) {
    const me = identify(process.pid);
    this.record = {
      instance_id: this.instanceId,
      pid: me.pid,
      pid_start_time: me.startTime,
      hostname: os.hostname(),
      started_at: new Date().toISOString(),
      workers: {},
    };
    this.file = path.join(dir, `${this.instanceId}.json`);
  }

  /** Labels for a resource (a container) owned by this instance. */
  ownerLabels(session: string): Record<string, string> {
    return {
      [LABELS.instance]: this.instanceId,
      [LABELS.session]: session,
      [LABELS.created]: new Date().toISOString(),
      [LABELS.ownerPid]: String(this.record.pid),
      [LABELS.ownerStart]: this.record.pid_start_time ?? '',
      [LABELS.ownerHost]: this.record.hostname,
    };
  }

  /** Records a session's worker, as its driver describes it. */
  track(session: string, worker: WorkerRecord): void {
    this.record.workers[session] = worker;
    this.save();
  }

  /** Forgets a session's worker (after it was stopped). */
  untrack(session: string): void {
    if (!(session in this.record.workers)) return;
    delete this.record.workers[session];
    this.save();
  }

  get tracked(): number {
    return Object.keys(this.record.workers).length;
  }

  /** Removes the record; called at a clean shutdown once every worker is stopped. */
  dispose(): void {
    rmSync(this.file, { force: true });
  }

  private save(): void {
    try {
      if (this.tracked === 0) {
        rmSync(this.file, { force: true });
        return;
      }
      writeJsonAtomic(this.file, this.record);
    } catch (e) {
      // Tracking is a safety net: a read-only home must not stop the server from working.
      logger.warn({ file: this.file, err: errorMessage(e) }, 'cannot write the instance record');
    }
  }
}
