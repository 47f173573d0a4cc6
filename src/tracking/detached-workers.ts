import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';
import type { DriverSet } from '../workers/drivers/index.js';
import { WorkerRecordSchema } from './instance-record.js';
import { writeJsonAtomic } from './json-file.js';
import { dataDir } from './state-dir.js';

/**
 * Workers started by `dh-mcp worker start`: they outlive the command that started them, so each has a record
 * (and its containers a label) with an expiry. `dh-mcp worker stop` removes one; any dh-mcp start-up sweep
 * removes those past their expiry or already dead. The worker itself is described by its driver's record.
 */
export const DetachedWorkerSchema = z.object({
  name: z.string(),
  /** The launch method it was started with, as given (for `worker ls`). */
  method: z.string(),
  host: z.string(),
  port: z.number().int(),
  url: z.string(),
  auth_type: z.string(),
  worker: WorkerRecordSchema,
  created_at: z.string(),
  expires_at: z.string(),
});
export type DetachedWorker = z.infer<typeof DetachedWorkerSchema>;

export function workersDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(dataDir(env), 'workers');
}

export function saveDetached(w: DetachedWorker, dir = workersDir()): void {
  writeJsonAtomic(path.join(dir, `${w.name}.json`), w);
}

export function loadDetached(name: string, dir = workersDir()): DetachedWorker | undefined {
  try {
    return DetachedWorkerSchema.parse(JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')));
  } catch {
    return undefined;
  }
}

export function listDetached(dir = workersDir()): DetachedWorker[] {
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.flatMap((f) => {
    const w = loadDetached(f.slice(0, -5), dir);
    return w ? [w] : [];
  });
}

export function removeDetachedRecord(name: string, dir = workersDir()): void {
  rmSync(path.join(dir, `${name}.json`), { force: true });
}

/** Whether the recorded worker still runs (asked of its driver: a reused pid does not count). */
export async function detachedAlive(w: DetachedWorker, drivers: DriverSet): Promise<boolean> {
  return (await drivers.reattach(w.worker)?.isAlive()) ?? false;
}

/** Stops a detached worker through its driver (never a reused pid) and forgets it. */
export async function stopDetached(w: DetachedWorker, drivers: DriverSet, dir = workersDir()): Promise<void> {
  const attached = drivers.reattach(w.worker);
  if (attached) await attached.stop();
  else
    logger.warn(
      { worker: w.name, kind: w.worker.kind },
      'detached record of an unknown worker kind; record removed',
    );
  removeDetachedRecord(w.name, dir);
}

/** Removes detached workers past their expiry, and records of workers that are gone. */
export async function sweepDetached(
  drivers: DriverSet,
  dir = workersDir(),
  now = Date.now(),
): Promise<string[]> {
  const removed: string[] = [];
  for (const w of listDetached(dir)) {
    const expired = Date.parse(w.expires_at) <= now;
    try {
      if (expired || !(await detachedAlive(w, drivers))) {
        await stopDetached(w, drivers, dir);
        removed.push(w.name);
        logger.info({ worker: w.name, expired }, 'removed a detached worker (expired or gone)');
      }
    } catch (e) {
      logger.warn({ worker: w.name, err: errorMessage(e) }, 'cannot remove a detached worker');
    }
  }
  return removed;
}
