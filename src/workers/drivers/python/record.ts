import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { z } from 'zod';
import {
  isVerifiedSameProcess,
  judgeProcess,
  stopVerifiedProcessGroup,
} from '../../../util/process-identity.js';
import type { AttachedWorker, WorkerRecord } from '../driver.js';

const STOP_GRACE_MS = 10_000;

/** A python worker in a record: pid plus start time (a reused pid is never signalled), its private dirs. */
export const PythonRecordSchema = z.object({
  kind: z.literal('python'),
  pid: z.number().int().positive(),
  start_time: z.string().optional(),
  /** The worker's private temp directory, removed with it. */
  home: z.string().optional(),
  port: z.number().int().optional(),
  /** Output of a worker that outlived its starter. */
  log_file: z.string().optional(),
});
export type PythonRecord = z.infer<typeof PythonRecordSchema>;

/**
 * The one stop of a python worker: SIGTERM to its process group, SIGKILL after the grace, each only while the
 * pid provably is the recorded process; then its private directory and log file are removed.
 */
export async function stopPythonWorker(
  r: PythonRecord,
  graceMs = STOP_GRACE_MS,
): Promise<'stopped' | 'gone' | 'skipped'> {
  const id = { pid: r.pid, startTime: r.start_time };
  // Signalled only while the pid provably is the recorded worker; a reused or unverifiable pid is left alone.
  const verdict = judgeProcess(id);
  if (verdict === 'same') await stopVerifiedProcessGroup(id, graceMs);
  const outcome = verdict === 'same' ? 'stopped' : verdict === 'gone' ? 'gone' : 'skipped';
  if (r.home) await rm(r.home, { recursive: true, force: true }).catch(() => undefined);
  if (r.log_file) rmSync(r.log_file, { force: true });
  return outcome;
}

export function attachPython(record: WorkerRecord): AttachedWorker | undefined {
  const parsed = PythonRecordSchema.safeParse(record);
  if (!parsed.success) return undefined;
  const r = parsed.data;
  return {
    identity: { process_id: r.pid },
    description: `python worker process ${r.pid}`,
    isAlive: async () => isVerifiedSameProcess({ pid: r.pid, startTime: r.start_time }),
    stop: (graceMs) => stopPythonWorker(r, graceMs),
  };
}
