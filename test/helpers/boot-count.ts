import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { dockerClient } from '../../src/creation/docker-client.js';
import { processStartTime } from '../../src/tracking/process-identity.js';
import { inScope, scopeWorkerPids } from './scope.js';

/**
 * JVM-boot accounting, opt-in: with DH_MCP_BOOT_LEDGER=<file>, each test file appends one JSON line
 * `{ file, python, docker, seconds }` with the number of worker JVMs it started (python workers seen under its
 * scope, container starts of its scope from the engine's event log). `node scripts/bench/boot-ledger.mjs <file>`
 * sums them up. Off by default: the sampler costs a /proc scan every 250 ms.
 */
export function startBootCount(): () => Promise<void> {
  const ledger = process.env.DH_MCP_BOOT_LEDGER;
  if (!ledger) return async () => undefined;
  const since = Math.floor(Date.now() / 1000);
  const t0 = Date.now();
  const python = new Set<string>();
  const sample = (): void => {
    for (const pid of scopeWorkerPids()) {
      const start = processStartTime(pid);
      if (start !== undefined) python.add(`${pid}:${start}`); // undefined: it exited while we looked
    }
  };
  const timer = setInterval(sample, 250);
  timer.unref();
  return async () => {
    clearInterval(timer);
    sample();
    const docker = await dockerStarts(since).catch(() => -1);
    const file = path.relative(process.cwd(), expect.getState().testPath ?? 'unknown');
    appendFileSync(
      ledger,
      `${JSON.stringify({ file, python: python.size, docker, seconds: Math.round((Date.now() - t0) / 1000) })}\n`,
    );
  };
}

/** Container starts of this scope since `since` (epoch seconds), from the engine's event log. */
async function dockerStarts(since: number): Promise<number> {
  const until = Math.ceil(Date.now() / 1000) + 1;
  const stream = (await dockerClient().getEvents({
    since,
    until,
    filters: { type: ['container'], event: ['start'] },
  })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  let n = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const ev = JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } };
    if (inScope(ev.Actor?.Attributes ?? {})) n++;
  }
  return n;
}
