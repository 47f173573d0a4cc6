import { Readable } from 'node:stream';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { testDocker } from '../../helpers/docker.js';
import { freePort } from '../../../src/workers/drivers/python/free-port.js';
import { singleFileTar } from '../../../src/workers/drivers/plain-image/tar.js';
import { LABELS } from '../../../src/workers/owner-labels.js';
import { call, inMemoryServer, writeConfig } from '../../helpers/mcp.js';

// Pull on demand through session_community_create, against the local registry (never a remote one): progress
// with growing byte counts reaches the MCP client; an unknown tag, a registry that is not running, a cancelled
// pull and pull_policy "never" each give a clear error, free the slot and leave no container.
const REGISTRY = process.env.DH_MCP_REGISTRY ?? '127.0.0.1:5555';
/** An image of this test's own: one layer of incompressible bytes, so a pull has bytes to report. */
const NOISE = `${REGISTRY}/dh-mcp-test/pull-noise:1`;
const NOISE_MB = 96;

let mcp: Awaited<ReturnType<typeof inMemoryServer>>;
let client: Client;

async function ourContainers(): Promise<string[]> {
  const list = await testDocker().listContainers({
    all: true,
    filters: { label: [`${LABELS.instance}=${mcp.state.tracker.instanceId}`] },
  });
  return list.map((c) => c.Id);
}

async function removeLocal(ref: string): Promise<void> {
  await testDocker()
    .getImage(ref)
    .remove({ force: true })
    .catch((e: { statusCode?: number }) => {
      if (e.statusCode !== 404) throw e;
    });
}

async function registryHas(repo: string, tag: string): Promise<boolean> {
  const r = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  return r.ok;
}

/** The same bytes every run (xorshift), so the registry stores the layer once. */
function noise(bytes: number): Buffer {
  const words = new Uint32Array(bytes / 4);
  let x = 2463534242;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return Buffer.from(words.buffer);
}

async function follow(stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    testDocker().modem.followProgress(stream, (err: Error | null, out: Array<{ error?: string }>) => {
      const failed = out.find((o) => o.error);
      if (err || failed) reject(err ?? new Error(failed!.error));
      else resolve();
    }),
  );
}

async function pushNoiseImage(): Promise<void> {
  if (await registryHas('dh-mcp-test/pull-noise', '1')) return;
  const docker = testDocker();
  const tar = singleFileTar('noise.bin', noise(NOISE_MB * 1024 * 1024), 0o644);
  await follow(
    (await docker.importImage(Readable.from(tar), {
      repo: NOISE.slice(0, NOISE.lastIndexOf(':')),
      tag: '1',
    })) as NodeJS.ReadableStream,
  );
  // The engine wants an X-Registry-Auth header even for a registry without logins.
  await follow(
    (await docker.getImage(NOISE).push({ authconfig: { serveraddress: REGISTRY } })) as NodeJS.ReadableStream,
  );
}

async function create(
  args: Record<string, unknown>,
  opts: { onprogress?: (p: Progress) => void; signal?: AbortSignal } = {},
): Promise<Record<string, unknown>> {
  const r = (await client.callTool({ name: 'session_community_create', arguments: args }, undefined, {
    timeout: 600_000,
    ...opts,
  })) as CallToolResult;
  return JSON.parse((r.content[0] as { text: string }).text) as Record<string, unknown>;
}

/** After a failed create: no session, no reservation, no container of ours. */
async function expectNothingLeft(name: string): Promise<void> {
  expect((await call(client, 'sessions_list')).sessions).toEqual([]);
  expect(mcp.state.workers.isStarting(name)).toBe(false);
  expect(await ourContainers()).toEqual([]);
}

beforeAll(async () => {
  await pushNoiseImage();
  const file = await writeConfig({
    // Images are named in the tool call: the operator allows any image (docs/security.md).
    security: { community: { allowed_docker_images: ['*'] } },
    community: {
      session_creation: {
        max_concurrent_sessions: 1,
        defaults: { launch_method: 'docker', heap_size_gb: 1, startup_timeout_seconds: 120 },
      },
    },
  });
  mcp = await inMemoryServer(file);
  client = mcp.client;
}, 600_000);

beforeEach(async () => {
  await removeLocal(NOISE);
}, 600_000);

afterAll(async () => {
  await removeLocal(NOISE);
  await mcp?.close();
}, 600_000);

it('a missing image is pulled with progress notifications whose byte counts grow', async () => {
  const notes: Progress[] = [];
  const r = await create(
    { session_name: 'pull-progress', docker_image: NOISE },
    { onprogress: (p) => notes.push(p) },
  );
  const pulls = notes.filter((n) => n.message?.startsWith(`pull: pulling ${NOISE}`));
  expect(pulls.length).toBeGreaterThan(2);
  for (const n of pulls) expect(n.message).toMatch(/: \d+\/\d+ layers(, [\d.]+ of [\d.]+ MB)?$/);
  // Once the registry announced the layer's size, the downloaded bytes grow to it, in the message and as the
  // notification's progress/total.
  const withBytes = pulls.filter((n) => n.total !== undefined);
  const mb = withBytes.map((n) => Number(/, ([\d.]+) of/.exec(n.message!)![1]));
  expect(new Set(mb).size).toBeGreaterThan(2);
  for (let i = 1; i < mb.length; i++) expect(mb[i]!).toBeGreaterThanOrEqual(mb[i - 1]!);
  expect(Math.max(...withBytes.map((n) => n.total!))).toBeGreaterThanOrEqual(NOISE_MB * 1024 * 1024);
  expect(Math.max(...withBytes.map((n) => n.progress))).toBeGreaterThanOrEqual(NOISE_MB * 1024 * 1024);
  // Every notification's progress grows, the pull's and the phases' after it alike.
  for (let i = 1; i < notes.length; i++) expect(notes[i]!.progress).toBeGreaterThan(notes[i - 1]!.progress);
  expect(notes.some((n) => n.message === `pull: pulled ${NOISE}`)).toBe(true);
  // The image is not a Deephaven server: the create then fails, and cleans up.
  expect(r.success).toBe(false);
  expect(await testDocker().getImage(NOISE).inspect()).toBeDefined();
  await expectNothingLeft('pull-progress');
}, 600_000);

it('a pull cancelled mid-way stops, frees the slot and leaves no container', async () => {
  const abort = new AbortController();
  const notes: Progress[] = [];
  const call = create(
    { session_name: 'pull-cancel', docker_image: NOISE },
    {
      signal: abort.signal,
      onprogress: (p) => {
        notes.push(p);
        if (p.message?.startsWith('pull: pulling')) abort.abort();
      },
    },
  );
  await expect(call).rejects.toThrow();
  expect(notes.some((n) => n.message?.startsWith('pull: pulling'))).toBe(true);
  await expect.poll(() => mcp.state.workers.isStarting('pull-cancel'), { timeout: 20_000 }).toBe(false);
  await expectNothingLeft('pull-cancel');
}, 600_000);

it('an unknown tag: says the image does not exist', async () => {
  const r = await create({
    session_name: 'pull-unknown',
    docker_image: `${REGISTRY}/deephaven/server:no-such-tag`,
  });
  expect(r.success).toBe(false);
  expect(r.error).toMatch(
    new RegExp(
      `the image '${REGISTRY}/deephaven/server:no-such-tag' does not exist in ${REGISTRY}.*check the name and the tag`,
    ),
  );
  await expectNothingLeft('pull-unknown');
}, 600_000);

it('a registry that is not running: says it is not reachable', async () => {
  const stopped = `127.0.0.1:${await freePort()}`;
  const r = await create({ session_name: 'pull-stopped', docker_image: `${stopped}/deephaven/server:42.7` });
  expect(r.success).toBe(false);
  expect(r.error).toMatch(new RegExp(`the registry ${stopped} is not reachable`));
  await expectNothingLeft('pull-stopped');
}, 600_000);

it('pull_policy "never" with a missing image: says how to get it', async () => {
  const r = await create({ session_name: 'pull-never', docker_image: NOISE, pull_policy: 'never' });
  expect(r.success).toBe(false);
  expect(r.error).toContain(
    `Docker image '${NOISE}' is not present on this machine and pull_policy is "never"; get it with 'docker pull ${NOISE}'`,
  );
  await expectNothingLeft('pull-never');
}, 600_000);
