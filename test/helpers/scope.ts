import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { testDocker } from './docker.js';
import { LABELS } from '../../src/workers/owner-labels.js';
import { processStartTime } from '../../src/util/process-identity.js';

/**
 * This test file's own resources, told apart from those of other test runs and tools on the same machine.
 * A python worker belongs to the scope when its working directory (its private home, made under TMPDIR) lies
 * under the scope root; a container when it carries the scope label, when its owner is this process or one
 * this file started (pid and start time), or when its session name ends with the scope suffix.
 */
export const SCOPE_ROOT: string = process.env.DH_MCP_TEST_SCOPE ?? '';
if (!SCOPE_ROOT) throw new Error('DH_MCP_TEST_SCOPE is not set: test/setup-env.ts must run first');

/** A short per-file suffix for names that are global on the machine (container names, compose projects). */
export const SCOPE_SUFFIX: string = path
  .basename(SCOPE_ROOT)
  .replace(/^dh-mcp-test-/, '')
  .toLowerCase();

/** Put on containers a test creates directly (helpers, testcontainers). */
export const SCOPE_LABEL = 'dh-mcp.test-scope';

/** `base-<suffix>`: a session name no other run on this machine uses at the same time. */
export function scoped(base: string): string {
  return `${base}-${SCOPE_SUFFIX}`;
}

const owners = new Map<number, string | undefined>([[process.pid, processStartTime(process.pid)]]);

/** Records a process this file started (a server, a CLI) as an owner whose containers belong to the scope. */
export function adoptOwner(pid: number | undefined): void {
  if (pid !== undefined) owners.set(pid, processStartTime(pid));
}

/** Whether container labels (or a `die`/`start` event's attributes) say the container is this file's. */
export function inScope(labels: Record<string, string | undefined>): boolean {
  if (labels[SCOPE_LABEL] === SCOPE_ROOT) return true;
  if (labels[LABELS.session]?.endsWith(`-${SCOPE_SUFFIX}`)) return true;
  if (labels['com.docker.compose.project']?.endsWith(`-${SCOPE_SUFFIX}`)) return true;
  const owner = Number(labels[LABELS.ownerPid]);
  if (owners.has(owner)) {
    const start = owners.get(owner);
    return !start || !labels[LABELS.ownerStart] || labels[LABELS.ownerStart] === start;
  }
  return false;
}

/** Pids of python workers (launchers/dh_worker.py) of this scope that are running (zombies excluded). */
export function scopeWorkerPids(): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (!readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('dh_worker.py')) continue;
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      // A worker's own child (forked, not yet exec'd) carries the same command line: count the worker once.
      if (cmdline(Number(ppid)).includes('dh_worker.py')) continue;
      if (readlinkSync(`/proc/${d}/cwd`).startsWith(SCOPE_ROOT)) pids.push(Number(d));
    } catch {
      // exited while we looked, or not ours to read
    }
  }
  return pids.sort((a, b) => a - b);
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Ids of this scope's containers (running or not). */
export async function scopeContainers(docker: Docker = testDocker()): Promise<string[]> {
  let list: Docker.ContainerInfo[];
  try {
    list = await docker.listContainers({ all: true });
  } catch {
    return []; // no engine: no containers to leak
  }
  return list
    .filter((c) => inScope(c.Labels))
    .map((c) => c.Id)
    .sort();
}
