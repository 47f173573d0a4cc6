import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';
import { isVerifiedSameProcess, stopVerifiedProcessGroup } from './process-identity.js';
import { writeJsonAtomic } from './json-file.js';
import { dataDir } from './state-dir.js';

/**
 * Workers started by `dh-mcp worker start`: they outlive the command that started them, so each has a record
 * (and its containers a label) with an expiry. `dh-mcp worker stop` removes one; any dh-mcp start-up sweep
 * removes those past their expiry or already dead.
 */
export const DetachedWorkerSchema = z.object({
  name: z.string(),
  method: z.enum(['docker', 'python']),
  host: z.string(),
  port: z.number().int(),
  url: z.string(),
  auth_type: z.string(),
  pid: z.number().int().optional(),
  start_time: z.string().optional(),
  container_id: z.string().optional(),
  home: z.string().optional(),
  log_file: z.string().optional(),
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

/** Whether the recorded worker still runs (a python pid must still be the recorded process). */
export async function detachedAlive(w: DetachedWorker): Promise<boolean> {
  if (w.container_id) {
    const { dockerClient } = await import('../creation/docker-client.js');
    try {
      return (await dockerClient().getContainer(w.container_id).inspect()).State.Running;
    } catch {
      return false;
    }
  }
  return w.pid !== undefined && isVerifiedSameProcess({ pid: w.pid, startTime: w.start_time });
}

/** Stops a detached worker (never a reused pid) and forgets it. */
export async function stopDetached(w: DetachedWorker, dir = workersDir()): Promise<void> {
  if (w.container_id) {
    const { dockerClient } = await import('../creation/docker-client.js');
    const c = dockerClient().getContainer(w.container_id);
    await c.stop({ t: 10 }).catch(() => undefined);
    await c.remove({ force: true, v: true }).catch((e: { statusCode?: number }) => {
      if (e.statusCode !== 404) throw e;
    });
  } else if (w.pid !== undefined) {
    await stopVerifiedProcessGroup({ pid: w.pid, startTime: w.start_time }, 10_000);
  }
  if (w.home) rmSync(w.home, { recursive: true, force: true });
  if (w.log_file) rmSync(w.log_file, { force: true });
  removeDetachedRecord(w.name, dir);
}

/** Removes detached workers past their expiry, and records of workers that are gone. */
export async function sweepDetached(dir = workersDir(), now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const w of listDetached(dir)) {
    const expired = Date.parse(w.expires_at) <= now;
    try {
      if (expired || !(await detachedAlive(w))) {
        await stopDetached(w, dir);
        removed.push(w.name);
        logger.info({ worker: w.name, expired }, 'removed a detached worker (expired or gone)');
      }
    } catch (e) {
      logger.warn({ worker: w.name, err: errorMessage(e) }, 'cannot remove a detached worker');
    }
  }
  return removed;
}
