import { readFileSync } from 'node:fs';

/**
 * A process is identified by its pid plus its start time: a pid alone can be reused by an unrelated process
 * after the original exits. On Linux the start time is field 22 of /proc/<pid>/stat (clock ticks since boot).
 */
export interface ProcessIdentity {
  pid: number;
  /** Undefined where the platform does not expose it; such processes are never signalled. */
  startTime?: string;
}

export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

export function identify(pid: number): ProcessIdentity {
  return { pid, startTime: processStartTime(pid) };
}

export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What a probe sees of a pid now: not running, or running since a start time (undefined when hidden). */
export type ProcessSeen = { running: false } | { running: true; startTime?: string };
export type ProcessProbe = (pid: number) => ProcessSeen;

/** The real probe: this machine's process table. */
export const procProbe: ProcessProbe = (pid) =>
  pidExists(pid) ? { running: true, startTime: processStartTime(pid) } : { running: false };

/**
 * A recorded process compared with what runs under its pid now: the same process (start times match), gone,
 * reused by another process (another start time), or unverifiable (a start time is missing on either side).
 * Pure given the probe, so every case is unit-tested without real processes.
 */
export type ProcessVerdict = 'same' | 'gone' | 'reused' | 'unverifiable';

export function judgeProcess(recorded: ProcessIdentity, probe: ProcessProbe = procProbe): ProcessVerdict {
  const seen = probe(recorded.pid);
  if (!seen.running) return 'gone';
  if (recorded.startTime === undefined || seen.startTime === undefined) return 'unverifiable';
  return seen.startTime === recorded.startTime ? 'same' : 'reused';
}

/**
 * Whether the process recorded earlier still runs. Without start times we cannot tell a reused pid from the
 * original, so "a process with that pid exists" counts as alive: the safe answer for owners (their resources
 * are left alone) and for children (they are not signalled, see `isVerifiedSameProcess`).
 */
export function stillRunning(id: ProcessIdentity, probe: ProcessProbe = procProbe): boolean {
  const v = judgeProcess(id, probe);
  return v === 'same' || v === 'unverifiable';
}

/** True only when the pid runs and is provably the process recorded: the one condition for signalling it. */
export function isVerifiedSameProcess(id: ProcessIdentity, probe: ProcessProbe = procProbe): boolean {
  return judgeProcess(id, probe) === 'same';
}

/**
 * Stops a process group led by a recorded process: SIGTERM (and SIGCONT, since a stopped process acts on it
 * only once continued), then SIGKILL after the grace. Every signal goes out only while the pid is provably the
 * recorded process, so a reused pid is never hit.
 */
export async function stopVerifiedProcessGroup(id: ProcessIdentity, graceMs: number): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      if (isVerifiedSameProcess(id)) process.kill(-id.pid, sig);
    } catch {
      // Gone already.
    }
  };
  signal('SIGTERM');
  signal('SIGCONT');
  const deadline = Date.now() + graceMs;
  while (isVerifiedSameProcess(id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  signal('SIGKILL');
}
