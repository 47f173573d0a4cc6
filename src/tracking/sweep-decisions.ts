import { stillRunning, type ProcessProbe } from '../util/process-identity.js';
import { LABELS } from '../workers/owner-labels.js';

/**
 * The orphan sweep's decisions, as pure functions of what was recorded and what the probes report now. The
 * sweep feeds them the real probes (the process table, the clock, the host name); unit tests any situation.
 */
export interface SweepContext {
  /** The sweeping instance: its own records and containers are never touched. */
  self: string;
  hostname: string;
  now: number;
  probe: ProcessProbe;
}

/** Why a record is left alone, or 'sweep' when its owner is gone and its workers are to be stopped. */
export type RecordDecision = 'self' | 'other-host' | 'owner-alive' | 'sweep';

export function recordDecision(
  rec: { instance_id: string; hostname: string; pid: number; pid_start_time?: string },
  ctx: SweepContext,
): RecordDecision {
  if (rec.instance_id === ctx.self) return 'self';
  // A shared home directory: another host's processes are not ours to judge.
  if (rec.hostname !== ctx.hostname) return 'other-host';
  return stillRunning({ pid: rec.pid, startTime: rec.pid_start_time }, ctx.probe) ? 'owner-alive' : 'sweep';
}

/**
 * A labelled resource (a container) is an orphan when it is not ours, was made on this host, is not a detached
 * worker within its expiry, and its owner process is gone (a reused owner pid has another start time). A
 * detached worker is never judged by owner: it lives until its expiry.
 */
export function containerOrphaned(labels: Record<string, string | undefined>, ctx: SweepContext): boolean {
  if (labels[LABELS.instance] === ctx.self) return false;
  if (labels[LABELS.ownerHost] && labels[LABELS.ownerHost] !== ctx.hostname) return false;
  const expires = labels[LABELS.expires];
  if (expires && Date.parse(expires) > ctx.now) return false;
  const ownerPid = Number(labels[LABELS.ownerPid]);
  if (!Number.isInteger(ownerPid) || ownerPid <= 0) return true;
  return !stillRunning({ pid: ownerPid, startTime: labels[LABELS.ownerStart] || undefined }, ctx.probe);
}
