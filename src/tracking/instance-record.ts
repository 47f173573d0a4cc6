import { z } from 'zod';

/** One tracked python worker: enough to find it again, and to prove it is still the same process. */
export const TrackedProcessSchema = z.object({
  pid: z.number().int().positive(),
  start_time: z.string().optional(),
  /** The worker's private temp directory, removed with it. */
  home: z.string().optional(),
  port: z.number().int().optional(),
});
export type TrackedProcess = z.infer<typeof TrackedProcessSchema>;

/**
 * The record one server (or CLI) process keeps in the data directory while it owns workers. Containers are
 * tracked by their labels as well, so a lost record never hides a container.
 */
export const InstanceRecordSchema = z.object({
  instance_id: z.string().min(1),
  pid: z.number().int().positive(),
  pid_start_time: z.string().optional(),
  hostname: z.string(),
  started_at: z.string(),
  python_workers: z.record(z.string(), TrackedProcessSchema).default({}),
  containers: z.record(z.string(), z.string()).default({}),
});
export type InstanceRecord = z.infer<typeof InstanceRecordSchema>;

/** Labels put on every container dh-mcp creates; the sweep only ever touches containers carrying them. */
export const LABELS = {
  instance: 'dh-mcp.instance',
  session: 'dh-mcp.session',
  created: 'dh-mcp.created',
  ownerPid: 'dh-mcp.owner-pid',
  ownerStart: 'dh-mcp.owner-start',
  ownerHost: 'dh-mcp.owner-host',
  /** Detached workers (dh-mcp worker start) have no owner process, only an expiry. */
  expires: 'dh-mcp.expires',
} as const;
