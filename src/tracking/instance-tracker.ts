import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { logger } from '../util/logger.js';
import { errorMessage } from '../util/errors.js';
import { LABELS, type InstanceRecord, type TrackedProcess } from './instance-record.js';
import { identify } from './process-identity.js';
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
      python_workers: {},
      containers: {},
    };
    this.file = path.join(dir, `${this.instanceId}.json`);
  }

  /** Labels for a container owned by this instance. */
  containerLabels(session: string): Record<string, string> {
    return {
      [LABELS.instance]: this.instanceId,
      [LABELS.session]: session,
      [LABELS.created]: new Date().toISOString(),
      [LABELS.ownerPid]: String(this.record.pid),
      [LABELS.ownerStart]: this.record.pid_start_time ?? '',
      [LABELS.ownerHost]: this.record.hostname,
    };
  }

  trackProcess(session: string, proc: TrackedProcess): void {
    this.record.python_workers[session] = proc;
    this.save();
  }

  trackContainer(session: string, containerId: string): void {
    this.record.containers[session] = containerId;
    this.save();
  }

  /** Forgets a session's worker (after it was stopped). */
  untrack(session: string): void {
    const had = session in this.record.python_workers || session in this.record.containers;
    delete this.record.python_workers[session];
    delete this.record.containers[session];
    if (had) this.save();
  }

  get tracked(): number {
    return Object.keys(this.record.python_workers).length + Object.keys(this.record.containers).length;
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
