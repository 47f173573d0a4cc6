import { z } from 'zod';

/** One tracked worker, as its driver recorded it (the kind names the driver that can find it again). */
export const WorkerRecordSchema = z.looseObject({ kind: z.string().min(1) });

/**
 * The record one server (or CLI) process keeps in the data directory while it owns workers. Containers are
 * found by their labels as well, so a lost record never hides a container.
 */
export const InstanceRecordSchema = z.object({
  instance_id: z.string().min(1),
  pid: z.number().int().positive(),
  pid_start_time: z.string().optional(),
  hostname: z.string(),
  started_at: z.string(),
  workers: z.record(z.string(), WorkerRecordSchema).default({}),
});
export type InstanceRecord = z.infer<typeof InstanceRecordSchema>;
