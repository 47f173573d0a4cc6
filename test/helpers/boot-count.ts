import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { testDocker } from './docker.js';
import { processStartTime } from '../../src/util/process-identity.js';
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
  // Live, from now on: the engine keeps only a short history of events, which a busy machine overwrites.
  const docker = watchContainerStarts();
  return async () => {
    clearInterval(timer);
    sample();
    const file = path.relative(process.cwd(), expect.getState().testPath ?? 'unknown');
    appendFileSync(
      ledger,
      `${JSON.stringify({ file, python: python.size, docker: await docker(), seconds: Math.round((Date.now() - t0) / 1000) })}\n`,
    );
  };
}

/** Counts container starts of this scope from the engine's event stream; the returned function ends it. */
function watchContainerStarts(): () => Promise<number> {
  let n = 0;
  let text = '';
  let stream: (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
  const opened = testDocker()
    .getEvents({ filters: { type: ['container'], event: ['start'] } })
    .then((s) => {
      stream = s as typeof stream;
      stream!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        let i;
        while ((i = text.indexOf('\n')) >= 0) {
          const line = text.slice(0, i);
          text = text.slice(i + 1);
          if (!line.trim()) continue;
          const ev = JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } };
          if (inScope(ev.Actor?.Attributes ?? {})) n++;
        }
      });
      stream!.on('error', () => undefined);
      return true;
    })
    .catch(() => false);
  return async () => {
    const ok = await opened;
    stream?.destroy?.();
    return ok ? n : -1;
  };
}
