import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { inPhaseOrder, phaseOf, type StartPhase } from '../../../src/workers/progress.js';
import { call, inMemoryServer, writeConfig } from '../../helpers/mcp.js';
import { settleTo, snapshot, type ResourceSnapshot } from '../../helpers/leaks.js';
import { scoped } from '../../helpers/scope.js';

// The progress notifications of a real create name their phase, in order. A Docker worker of the stand-in for
// the official image, pulled again from the machine's local registry (pull_policy "always": its layers are
// there already, so the pull is quick but real), goes through every phase but the pool's claim.
const REGISTRY = process.env.DH_MCP_REGISTRY ?? '127.0.0.1:5555';
const IMAGE = `${REGISTRY}/deephaven/server:42.7`;

let mcp: Awaited<ReturnType<typeof inMemoryServer>>;
let client: Client;
let baseline: ResourceSnapshot;

beforeAll(async () => {
  baseline = await snapshot();
  const file = await writeConfig({
    community: {
      session_creation: {
        max_concurrent_sessions: 1,
        defaults: {
          launch_method: 'docker',
          docker_image: IMAGE,
          heap_size_gb: 1,
          startup_timeout_seconds: 240,
        },
      },
    },
  });
  mcp = await inMemoryServer(file);
  client = mcp.client;
});

afterAll(async () => {
  await mcp?.close();
  expect(await settleTo(baseline)).toEqual(baseline);
});

it('a docker create reports pull, start, ready and login, in that order, each message naming its phase', async () => {
  const name = scoped('phases');
  const notes: Progress[] = [];
  const r = (await client.callTool(
    { name: 'session_community_create', arguments: { session_name: name, pull_policy: 'always' } },
    undefined,
    { timeout: 600_000, resetTimeoutOnProgress: true, onprogress: (p) => notes.push(p) },
  )) as CallToolResult;
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  try {
    const phases = notes.map((n) => phaseOf(n.message));
    // Every message names a phase.
    expect(
      phases.filter((p) => p === undefined),
      JSON.stringify(notes),
    ).toEqual([]);
    const named = phases as StartPhase[];
    expect(inPhaseOrder(named), named.join(' ')).toBe(true);
    expect([...new Set(named)]).toEqual(['pull', 'start', 'ready', 'login']);
    // Its layers are all here, so the pull only says it finished (image-pull.test.ts follows the bytes of a real
    // download).
    const pulls = notes.filter((n) => phaseOf(n.message) === 'pull').map((n) => n.message);
    expect(pulls.at(-1)).toBe(`pull: pulled ${IMAGE}`);
    expect(notes.find((n) => phaseOf(n.message) === 'ready')!.message).toMatch(
      new RegExp(`^ready: worker '${name}' reported ready on port \\d+ after [\\d.]+ s$`),
    );
    // progress grows throughout, across phases.
    for (let i = 1; i < notes.length; i++) expect(notes[i]!.progress).toBeGreaterThan(notes[i - 1]!.progress);
  } finally {
    await call(client, 'session_community_delete', { session_name: name });
  }
}, 600_000);
