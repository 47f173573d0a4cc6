import { readFileSync, readdirSync } from 'node:fs';
import { dockerClient } from '../../src/creation/docker-client.js';
import { LABELS } from '../../src/tracking/instance-record.js';
import { pidExists } from '../../src/tracking/process-identity.js';

/** What a worker can leave behind: worker processes, dh-mcp containers, listening loopback ports. */
export interface ResourceSnapshot {
  workerPids: number[];
  containers: string[];
  listeningPorts: number[];
}

/** Pids of running worker entry scripts (our launchers all start launchers/dh_worker.py). */
export function workerPids(): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (cmd.includes('dh_worker.py') && state !== 'Z') pids.push(Number(d));
    } catch {
      // exited while we looked
    }
  }
  return pids.sort((a, b) => a - b);
}

export async function dhMcpContainers(): Promise<string[]> {
  try {
    const list = await dockerClient().listContainers({ all: true, filters: { label: [LABELS.instance] } });
    return list.map((c) => c.Id).sort();
  } catch {
    return [];
  }
}

/** TCP ports in LISTEN state on this host (IPv4 and IPv6), from /proc/net. */
export function listeningPorts(): number[] {
  const ports = new Set<number>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') ports.add(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

export async function snapshot(): Promise<ResourceSnapshot> {
  return { workerPids: workerPids(), containers: await dhMcpContainers(), listeningPorts: listeningPorts() };
}

/** Polls until the resources match the baseline (stops are asynchronous at the OS level), then returns them. */
export async function settleTo(baseline: ResourceSnapshot, timeoutMs = 15_000): Promise<ResourceSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await snapshot();
    if (JSON.stringify(now) === JSON.stringify(baseline) || Date.now() > deadline) return now;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Whether a worker reported by a tool or the CLI is gone: its process no longer exists, its container is removed. */
export async function workerGone(w: { pid?: number; containerId?: string }): Promise<boolean> {
  if (w.pid !== undefined && pidExists(w.pid)) return false;
  if (w.containerId === undefined) return true;
  return dockerClient()
    .getContainer(w.containerId)
    .inspect()
    .then(
      () => false,
      (e: { statusCode?: number }) => e.statusCode === 404,
    );
}
