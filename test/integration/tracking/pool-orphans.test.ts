import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { pidExists } from '../../../src/util/process-identity.js';
import { writeConfig } from '../../helpers/mcp.js';
import { settleTo, snapshot, waitFor } from '../../helpers/leaks.js';
import { StdioPeer } from '../../helpers/stdio-peer.js';
import { instanceRecords } from '../../helpers/instance-records.js';

// kill -9 of the server with a full warm pool (two python workers): the next start removes both. The pooled
// workers are frozen first, as wedged workers would be, so the start-up sweep has to do the work (a live
// worker would also stop by itself when its owner's pipe closes).
/** A word of exactly 32 hex characters: what a PSK looks like wherever a log line would put it. */
const PSK_SHAPED = /(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])/gi;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-pool-orphans-'));
const frozen: number[] = [];
const peers: StdioPeer[] = [];

// Whatever a failed check left running: the servers, and the workers frozen on purpose.
afterAll(() => {
  for (const p of peers) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
  for (const pid of frozen) if (pidExists(pid)) process.kill(pid, 'SIGKILL');
});

async function server(pool: Record<string, unknown> | undefined): Promise<StdioPeer> {
  const file = await writeConfig({
    community: {
      session_creation: {
        max_concurrent_sessions: 3,
        defaults: { launch_method: 'python', heap_size_gb: 1, startup_timeout_seconds: 240 },
        ...(pool ? { warm_pool: pool } : {}),
      },
    },
  });
  const peer = new StdioPeer({ ...process.env, DH_MCP_CONFIG_FILE: file, DH_MCP_DATA_DIR: dataDir });
  peers.push(peer);
  await peer.initialize();
  return peer;
}

it('kill -9 with a full pool: the pooled workers were tracked, and the next start removes them', async () => {
  const baseline = await snapshot();
  const first = await server({ size: 2 });
  // The log says when the pool is full (what a benchmark waits for too).
  await waitFor('the warm pool to be full', () => first.stderr.includes('"msg":"warm pool full"'), Boolean, {
    timeoutMs: 280_000,
    intervalMs: 500,
  });
  const list = await first.callTool('sessions_list');
  expect(list.sessions).toEqual([]);
  const pooled = (await snapshot()).workerPids.filter((p) => !baseline.workerPids.includes(p));
  expect(pooled).toHaveLength(2);
  const [rec] = instanceRecords(dataDir);
  const names = Object.keys(rec!.body.workers ?? {});
  expect(names).toHaveLength(2);
  for (const n of names) expect(n).toMatch(/^warm-pool\.[0-9a-f]{12}$/);
  expect(
    Object.values(rec!.body.workers ?? {})
      .map((w) => w.pid)
      .sort(),
  ).toEqual([...pooled].sort());
  // No secret in the log but the deliberate banner, and no banner for a pooled worker (no session yet); nor
  // anything shaped like a PSK (32 lowercase hex characters, src/creation/tokens.ts) anywhere in it.
  expect(first.stderr).not.toMatch(/psk=/);
  expect(first.stderr.match(PSK_SHAPED) ?? []).toEqual([]);

  for (const pid of pooled) {
    process.kill(pid, 'SIGSTOP');
    frozen.push(pid);
  }
  first.proc.kill('SIGKILL');
  await first.exited;
  for (const pid of pooled) expect(pidExists(pid)).toBe(true);

  const second = await server(undefined);
  try {
    for (const pid of pooled) await expect.poll(() => pidExists(pid), { timeout: 30_000 }).toBe(false);
    await expect
      .poll(() => instanceRecords(dataDir).map((r) => r.file), { timeout: 20_000 })
      .not.toContain(rec!.file);
  } finally {
    second.proc.stdin.end();
    await second.exited;
  }
  expect(second.stderr.match(PSK_SHAPED) ?? []).toEqual([]);
  expect(await settleTo(baseline)).toEqual(baseline);
});
