import { readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';
import { procProbe } from '../util/process-identity.js';
import type { DriverSet } from '../workers/drivers/index.js';
import { sweepDetached } from './detached-workers.js';
import { InstanceRecordSchema } from './instance-record.js';
import { containerOrphaned, recordDecision, type SweepContext } from './sweep-decisions.js';

export interface SweepResult {
  /** Workers stopped because their owner is gone (from records, and containers found by label). */
  workersStopped: string[];
  /** Recorded workers whose pid now belongs to another process (pid reuse): left alone. */
  workersSkipped: string[];
  recordsRemoved: string[];
}

export interface SweepOptions {
  dir: string;
  /** The sweeping instance: its own resources are never touched. */
  selfInstanceId: string;
  drivers: DriverSet;
  graceMs?: number;
  /** Records of detached workers (dh-mcp worker start). */
  detachedDir?: string;
  now?: number;
}

/**
 * Removes what dead dh-mcp processes left behind: workers listed in records of dead owners (each stopped by its
 * driver, which signals a process only while its pid provably is the recorded one), detached workers past
 * their expiry, and labelled resources (containers) whose owner is gone, so a lost record hides nothing.
 */
export async function sweepOrphans(opts: SweepOptions): Promise<SweepResult> {
  const result: SweepResult = { workersStopped: [], workersSkipped: [], recordsRemoved: [] };
  await sweepRecords(opts, result);
  result.recordsRemoved.push(...(await sweepDetached(opts.drivers, opts.detachedDir)));
  const ctx = sweepContext(opts);
  for (const d of opts.drivers.all()) {
    if (d.sweepLabelled)
      result.workersStopped.push(...(await d.sweepLabelled((l) => containerOrphaned(l, ctx))));
  }
  if (result.workersStopped.length || result.recordsRemoved.length)
    logger.info(result, 'removed workers left behind by dead dh-mcp processes');
  return result;
}

/** The real probes the decisions (sweep-decisions.ts) are fed with. */
function sweepContext(opts: SweepOptions): SweepContext {
  return {
    self: opts.selfInstanceId,
    hostname: os.hostname(),
    now: opts.now ?? Date.now(),
    probe: procProbe,
  };
}

async function sweepRecords(opts: SweepOptions, result: SweepResult): Promise<void> {
  let files: string[];
  try {
    files = readdirSync(opts.dir).filter((f) => f.endsWith('.json'));
  } catch {
    return; // no directory yet: nothing was ever tracked
  }
  for (const f of files) {
    const file = path.join(opts.dir, f);
    let parsed;
    try {
      parsed = InstanceRecordSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    } catch (e) {
      parsed = { success: false as const, error: e };
    }
    if (!parsed.success) {
      // Set aside once, so a broken file is reported once rather than at every start.
      logger.warn({ file, err: errorMessage(parsed.error) }, 'unreadable instance record set aside');
      try {
        renameSync(file, `${file}.corrupt`);
      } catch {
        // Another server moved it first.
      }
      continue;
    }
    const rec = parsed.data;
    if (recordDecision(rec, sweepContext(opts)) !== 'sweep') continue;
    await Promise.all(
      Object.entries(rec.workers).map(async ([session, record]) => {
        const w = opts.drivers.reattach(record);
        if (!w) {
          logger.warn({ session, kind: record.kind }, 'record of an unknown worker kind; left alone');
          return;
        }
        const outcome = await w.stop(opts.graceMs ?? 5000);
        if (outcome === 'stopped') {
          result.workersStopped.push(w.description);
          logger.info({ session, worker: w.description, owner: rec.pid }, 'stopped orphaned worker');
        } else if (outcome === 'skipped') {
          result.workersSkipped.push(w.description);
          logger.warn(
            { session, worker: w.description },
            'tracked worker pid now belongs to another process; left alone',
          );
        }
      }),
    );
    rmSync(file, { force: true });
    result.recordsRemoved.push(rec.instance_id);
  }
}
