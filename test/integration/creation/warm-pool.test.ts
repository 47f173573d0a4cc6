import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectWorker } from '../../../src/deephaven/worker-connection.js';
import { testDocker } from '../../helpers/docker.js';
import { call, inMemoryServer, writeConfig } from '../../helpers/mcp.js';
import { settleTo, snapshot, waitFor, workerGone, type ResourceSnapshot } from '../../helpers/leaks.js';
import { scoped } from '../../helpers/scope.js';
import { instanceRecords } from '../../helpers/instance-records.js';

// The warm pool on real docker workers through MCP: one pooled worker (size 1) shared by the tests in order,
// max_concurrent_sessions 3 so the pool's use of slots shows. Each JVM boot costs ~15 s, so the tests build on
// each other's state and say so.
let mcp: Awaited<ReturnType<typeof inMemoryServer>>;
let baseline: ResourceSnapshot;
let configFile: string;

const config = (pool: Record<string, unknown>) => ({
  security: { community: { credential_retrieval_mode: 'all' } },
  community: {
    session_creation: {
      max_concurrent_sessions: 3,
      defaults: { heap_size_gb: 1, startup_timeout_seconds: 240 },
      warm_pool: pool,
    },
  },
});

beforeAll(async () => {
  baseline = await snapshot();
  configFile = await writeConfig(config({ size: 1 }));
  mcp = await inMemoryServer(configFile);
});

afterAll(async () => {
  await mcp?.close();
  expect(await settleTo(baseline)).toEqual(baseline);
});

const pool = () => mcp.state.workers.poolStatus();
const poolFull = () =>
  waitFor('the warm pool to be full', pool, (s) => s.ready === s.size && s.starting === 0, {
    timeoutMs: 240_000,
    intervalMs: 250,
  });
/** This file's containers that are not in `before`. */
const newContainers = async (before: ResourceSnapshot) =>
  (await snapshot()).containers.filter((c) => !before.containers.includes(c));
const dynamicSessions = async () =>
  (
    (await call(mcp.client, 'sessions_list')).sessions as Array<{ session_id: string; source: string }>
  ).filter((s) => s.source === 'dynamic');

/** A create with progress notifications; returns the answer and the progress messages. */
async function createWithProgress(args: Record<string, unknown>) {
  const progress: string[] = [];
  const r = (await mcp.client.callTool({ name: 'session_community_create', arguments: args }, undefined, {
    onprogress: (p) => progress.push(p.message ?? ''),
    resetTimeoutOnProgress: true,
    timeout: 280_000,
  })) as CallToolResult;
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return { created: r.structuredContent as Record<string, unknown>, progress };
}

/** Every instance record this file's server wrote, as one text. */
const trackedText = () =>
  instanceRecords()
    .map((r) => r.text)
    .join('\n');

const A = scoped('pooled-a');

it('a matching create is served by the pooled worker: renamed, tracked, usable, from_pool; the pool refills', async () => {
  await poolFull();
  // The pooled worker runs but is no session.
  const pooled = await newContainers(baseline);
  expect(pooled).toHaveLength(1);
  expect(await dynamicSessions()).toEqual([]);
  expect(trackedText()).toMatch(/"warm-pool\.[0-9a-f]{12}"/);

  const { created, progress } = await createWithProgress({ session_name: A });
  expect(created).toMatchObject({
    session_id: `community:dynamic:${A}`,
    from_pool: true,
    worker_kind: 'dhmcp-image',
  });
  expect(created.container_id).toBe(pooled[0]);
  expect(progress).toEqual([expect.stringMatching(/^pool_claim: claimed a ready worker from the warm pool/)]);
  // The container and the tracking record now carry the session's name.
  const info = await testDocker().getContainer(pooled[0]!).inspect();
  expect(info.Name).toMatch(new RegExp(`^/dh-mcp-${A}-[0-9a-f]{6}$`));
  expect(trackedText()).toContain(`"${A}"`);

  const details = await call(mcp.client, 'session_details', { session_id: `community:dynamic:${A}` });
  expect(details.session).toMatchObject({ liveness_status: 'ONLINE', from_pool: true, worker_alive: true });
  const ran = await call(mcp.client, 'session_script_run', {
    session_id: `community:dynamic:${A}`,
    script: 'from deephaven import empty_table\npooled = empty_table(3).update("X = i * 7")',
  });
  expect(ran).toMatchObject({ success: true, created: [{ name: 'pooled', type: 'Table' }] });
  const data = await call(mcp.client, 'session_table_data', {
    session_id: `community:dynamic:${A}`,
    table_name: 'pooled',
    format: 'json-column',
  });
  expect(data.data).toEqual({ X: [0, 7, 14] });
  // Its own PSK, given out as credentials allow, logs in.
  const creds = await call(mcp.client, 'session_community_credentials', {
    session_id: `community:dynamic:${A}`,
  });
  expect(creds.auth_token).toMatch(/^[0-9a-f]{32}$/);
  const c = await connectWorker({
    url: `http://127.0.0.1:${created.port as number}`,
    auth: 'PSK',
    token: creds.auth_token as string,
    timeoutMs: 90_000,
  });
  await c.close();

  // The pool refills in the background with a new worker.
  await poolFull();
  const refill = await newContainers(baseline);
  expect(refill).toHaveLength(2);
  expect(await dynamicSessions()).toHaveLength(1);
});

it('a create whose parameters differ starts a fresh worker and leaves the pooled one waiting', async () => {
  // Its own starting point (not the previous test's refill): a full pool, so "left waiting" means something.
  await poolFull();
  const before = await snapshot();
  const name = scoped('fresh-b');
  const r = await call(mcp.client, 'session_community_create', { session_name: name, heap_size_gb: 1.5 });
  expect(r).toMatchObject({ success: true, from_pool: false });
  expect(before.containers).not.toContain(r.container_id);
  expect(pool()).toMatchObject({ ready: 1, starting: 0 });
  const d = await call(mcp.client, 'session_details', { session_id: `community:dynamic:${name}` });
  expect(d.session).toMatchObject({ from_pool: false });
  expect((await call(mcp.client, 'session_community_delete', { session_name: name })).success).toBe(true);
});

it('two creates racing for the last pooled worker: one gets it, the other starts fresh; no slot is left for the pool', async () => {
  // Builds on the first test: its session A holds one of the three slots, so x, y and A fill them all.
  expect((await dynamicSessions()).map((s) => s.session_id)).toEqual([`community:dynamic:${A}`]);
  await poolFull();
  const [x, y] = await Promise.all(
    ['race-x', 'race-y'].map((n) =>
      call(mcp.client, 'session_community_create', { session_name: scoped(n) }),
    ),
  );
  expect([x!.success, y!.success]).toEqual([true, true]);
  expect([x!.from_pool, y!.from_pool].sort()).toEqual([false, true]);
  expect(x!.container_id).not.toBe(y!.container_id);
  // Three sessions fill max_concurrent_sessions: the pool may not hold a fourth worker.
  expect(await dynamicSessions()).toHaveLength(3);
  expect(pool()).toMatchObject({ ready: 0, starting: 0 });
  // A fourth create fails cleanly on the limit, pool or not.
  const over = await call(mcp.client, 'session_community_create', { session_name: scoped('race-z') });
  expect(over.error).toMatch(/^Session limit reached: 3\/3/);
  for (const r of [x!, y!])
    expect(
      (await call(mcp.client, 'session_community_delete', { session_name: r.session_name as string }))
        .success,
    ).toBe(true);
});

it('a reload while the pool refills stops every pooled worker, starting or ready, and the new pool follows the new config', async () => {
  // The deletes above freed slots: the pool is starting its refill now (a boot takes far longer than this wait).
  await waitFor('the refill to start', pool, (s) => s.starting === 1, { timeoutMs: 10_000 });
  const before = await snapshot();
  const old = before.containers.filter((c) => !baseline.containers.includes(c));
  expect(old.length).toBeGreaterThan(0);

  await writeConfig(config({ size: 1, programming_language: 'Groovy' }), path.dirname(configFile));
  expect((await call(mcp.client, 'mcp_reload')).success).toBe(true);
  // Every old worker is gone when the reload answers: the session A, the pooled ones.
  for (const id of old) expect(await workerGone({ containerId: id })).toBe(true);
  expect(await dynamicSessions()).toEqual([]);

  await poolFull();
  const python = await call(mcp.client, 'session_community_create', {
    session_name: scoped('groovy-c'),
    programming_language: 'Groovy',
  });
  expect(python).toMatchObject({ success: true, from_pool: true, programming_language: 'groovy' });
  const ran = await call(mcp.client, 'session_script_run', {
    session_id: python.session_id as string,
    script: 'g = emptyTable(2).update("Y = i + 1")',
  });
  expect(ran).toMatchObject({ success: true, created: [{ name: 'g', type: 'Table' }] });
});
