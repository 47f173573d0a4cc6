import { readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';
import { InstanceRecordSchema, LABELS } from './instance-record.js';
import { sweepDetached } from './detached-workers.js';
import {
  isVerifiedSameProcess,
  pidExists,
  stillRunning,
  stopVerifiedProcessGroup,
} from './process-identity.js';

export interface SweepResult {
  containersRemoved: string[];
  processesStopped: number[];
  /** Tracked pids now held by another process (pid reuse): left alone. */
  processesSkipped: number[];
  recordsRemoved: string[];
}

export interface SweepOptions {
  dir: string;
  /** The sweeping instance: its own resources are never touched. */
  selfInstanceId: string;
  /** Undefined when no Docker engine answers. */
  docker?: Docker;
  graceMs?: number;
  /** Records of detached workers (dh-mcp worker start). */
  detachedDir?: string;
}

/**
 * Removes what dead dh-mcp processes left behind: containers whose owner is gone (found by label, so a lost
 * record hides nothing) and python workers listed in records of dead owners. An owner counts as dead only when
 * its pid is gone or now belongs to a process with another start time; a worker is signalled only when its pid
 * still belongs to the very process that was recorded.
 */
export async function sweepOrphans(opts: SweepOptions): Promise<SweepResult> {
  const result: SweepResult = {
    containersRemoved: [],
    processesStopped: [],
    processesSkipped: [],
    recordsRemoved: [],
  };
  await sweepRecords(opts, result);
  result.recordsRemoved.push(...(await sweepDetached(opts.detachedDir)));
  if (opts.docker) await sweepContainers(opts.docker, opts.selfInstanceId, result);
  if (result.containersRemoved.length || result.processesStopped.length || result.recordsRemoved.length)
    logger.info(result, 'removed workers left behind by dead dh-mcp processes');
  return result;
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
    if (rec.instance_id === opts.selfInstanceId) continue;
    if (rec.hostname !== os.hostname()) continue; // a shared home directory: not our processes to judge
    if (stillRunning({ pid: rec.pid, startTime: rec.pid_start_time })) continue;
    await Promise.all(
      Object.entries(rec.python_workers).map(async ([session, w]) => {
        const id = { pid: w.pid, startTime: w.start_time };
        if (isVerifiedSameProcess(id)) {
          await stopVerifiedProcessGroup(id, opts.graceMs ?? 5000);
          result.processesStopped.push(w.pid);
          logger.info({ session, pid: w.pid, owner: rec.pid }, 'stopped orphaned python worker');
        } else if (pidExists(w.pid)) {
          result.processesSkipped.push(w.pid);
          logger.warn(
            { session, pid: w.pid },
            'tracked worker pid now belongs to another process; left alone',
          );
        }
        if (w.home) rmSync(w.home, { recursive: true, force: true });
      }),
    );
    rmSync(file, { force: true });
    result.recordsRemoved.push(rec.instance_id);
  }
}

async function sweepContainers(docker: Docker, self: string, result: SweepResult): Promise<void> {
  let containers: Docker.ContainerInfo[];
  try {
    containers = await docker.listContainers({ all: true, filters: { label: [LABELS.instance] } });
  } catch (e) {
    logger.debug({ err: errorMessage(e) }, 'container sweep skipped: Docker engine not answering');
    return;
  }
  await Promise.all(
    containers.map(async (c) => {
      const l = c.Labels;
      if (l[LABELS.instance] === self) return;
      if (l[LABELS.ownerHost] && l[LABELS.ownerHost] !== os.hostname()) return;
      // A detached worker lives until its expiry (its record's sweep stops it then); never judged by owner.
      const expires = l[LABELS.expires];
      if (expires && Date.parse(expires) > Date.now()) return;
      const ownerPid = Number(l[LABELS.ownerPid]);
      if (
        Number.isInteger(ownerPid) &&
        ownerPid > 0 &&
        stillRunning({ pid: ownerPid, startTime: l[LABELS.ownerStart] || undefined })
      )
        return;
      try {
        await docker.getContainer(c.Id).remove({ force: true, v: true });
        result.containersRemoved.push(c.Id);
        logger.info(
          { container: c.Id.slice(0, 12), session: l[LABELS.session], owner: ownerPid },
          'removed orphaned worker container',
        );
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 404)
          logger.warn(
            { container: c.Id.slice(0, 12), err: errorMessage(e) },
            'cannot remove orphaned container',
          );
      }
    }),
  );
}
