import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { call, inMemoryServer, writeConfig } from '../../helpers/mcp.js';
import { settleTo, snapshot, waitFor, workerGone, type ResourceSnapshot } from '../../helpers/leaks.js';
import { scoped } from '../../helpers/scope.js';
import { instanceRecords } from '../../helpers/instance-records.js';

// Idle timeout and maximum lifetime of created workers, on real workers through MCP: a python worker stopped for
// idleness, and a docker worker stopped by its lifetime in the middle of a call. Each test has its own session
// name, waits for the only slot (max_concurrent_sessions 1) and frees it whatever happens, so one's failure does
// not fail the other. Limits are seconds here; the rules themselves are unit-tested with a fake clock.
let mcp: Awaited<ReturnType<typeof inMemoryServer>>;
let client: Client;
let baseline: ResourceSnapshot;
const IDLE_S = 6;

beforeAll(async () => {
  baseline = await snapshot();
  const file = await writeConfig({
    community: {
      session_creation: {
        max_concurrent_sessions: 1,
        // The config's limits are what a call's own values override.
        defaults: { heap_size_gb: 1, startup_timeout_seconds: 240, max_lifetime_seconds: 3600 },
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

const sessionId = (name: string): string => `community:dynamic:${name}`;
const dynamicSessions = async (): Promise<string[]> =>
  ((await call(client, 'sessions_list')).sessions as Array<{ session_id: string; source: string }>)
    .filter((s) => s.source === 'dynamic')
    .map((s) => s.session_id);
const listed = async (name: string): Promise<boolean> => (await dynamicSessions()).includes(sessionId(name));

const details = async (name: string): Promise<Record<string, unknown>> =>
  (await call(client, 'session_details', { session_id: sessionId(name) })).session as Record<string, unknown>;

/**
 * Waits until no session holds the only slot (a session leaves the slot as it leaves the list), and frees the
 * test's own one when the test ends, however it ends.
 */
async function ownSlot(name: string): Promise<void> {
  await waitFor('the only session slot to be free', dynamicSessions, (l) => l.length === 0, {
    timeoutMs: 60_000,
  });
  onTestFinished(async () => {
    // Already gone when the test passed (success false, "not found"); stopped here when it did not.
    await call(client, 'session_community_delete', { session_name: name });
  });
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

it('idle: calls keep the worker alive past its idle deadline, a call longer than the timeout is not cut, and once unused it is stopped as a delete stops it', async () => {
  const name = scoped('limits-idle');
  const id = sessionId(name);
  await ownSlot(name);
  const created = await call(client, 'session_community_create', {
    session_name: name,
    launch_method: 'python',
    idle_timeout_seconds: IDLE_S,
    max_lifetime_seconds: 0, // the call turns the config's lifetime off
  });
  expect(created.success, JSON.stringify(created)).toBe(true);
  const pid = created.process_id as number;

  const first = await details(name);
  expect(first).toMatchObject({ idle_timeout_seconds: IDLE_S, stop_reason: 'idle_timeout' });
  expect(first).not.toHaveProperty('max_lifetime_seconds');
  const firstStop = Date.parse(first.stops_at as string);
  expect(firstStop).toBeGreaterThan(Date.now());
  expect(firstStop).toBeLessThanOrEqual(Date.now() + IDLE_S * 1000);

  // Tool calls that address the session, one a second, for twice the idle timeout.
  const until = Date.now() + 2 * IDLE_S * 1000;
  while (Date.now() < until) {
    await call(client, 'session_tables_list', { session_id: id });
    await pause(1000);
  }
  expect(await listed(name)).toBe(true);
  expect(Date.parse((await details(name)).stops_at as string)).toBeGreaterThan(firstStop + IDLE_S * 1000);

  // A call that runs longer than the idle timeout is activity throughout.
  const slow = await call(client, 'session_script_run', {
    session_id: id,
    script: `import time\ntime.sleep(${IDLE_S + 4})\nprint("done")`,
  });
  expect(slow).toMatchObject({ success: true, stdout: 'done\n' });
  expect(await listed(name)).toBe(true);

  // Left alone (sessions_list addresses no session), it goes: session, worker, tracking record.
  await waitFor(
    'the idle worker to be stopped',
    () => listed(name),
    (l) => !l,
    { timeoutMs: (IDLE_S + 60) * 1000 },
  );
  await waitFor('its process to exit', () => workerGone({ pid }), Boolean, { timeoutMs: 30_000 });
  await waitFor(
    'its tracking record to go',
    () => instanceRecords().some((r) => r.text.includes(name)),
    (t) => !t,
    { timeoutMs: 30_000 },
  );
  const after = await call(client, 'session_details', { session_id: id });
  expect(after.success).toBe(false);
}, 600_000);

it('lifetime: stops the worker even during a call, which then says why', async () => {
  const name = scoped('limits-life');
  const id = sessionId(name);
  await ownSlot(name);
  const created = await call(client, 'session_community_create', {
    session_name: name,
    launch_method: 'docker',
    max_lifetime_seconds: 20,
  });
  expect(created.success, JSON.stringify(created)).toBe(true);
  const containerId = created.container_id as string;
  const d = await details(name);
  expect(d).toMatchObject({ max_lifetime_seconds: 20, stop_reason: 'max_lifetime' });
  expect(d).not.toHaveProperty('idle_timeout_seconds');
  expect(Date.parse(d.stops_at as string)).toBeLessThanOrEqual(Date.now() + 20_000);

  // A script that would run far past the lifetime is interrupted by the stop.
  const r = await call(client, 'session_script_run', {
    session_id: id,
    script: 'import time\ntime.sleep(600)',
  });
  expect(r.success).toBe(false);
  expect(r.error).toBe(
    `Session '${id}': the server stopped this worker because it reached its maximum lifetime of 20 s (max_lifetime_seconds). The session no longer exists; create a new one with session_community_create if needed.`,
  );
  await waitFor(
    'the session to go',
    () => listed(name),
    (l) => !l,
    { timeoutMs: 30_000 },
  );
  await waitFor('its container to be removed', () => workerGone({ containerId }), Boolean, {
    timeoutMs: 60_000,
  });
  await waitFor(
    'its tracking record to go',
    () => instanceRecords().some((r) => r.text.includes(name)),
    (t) => !t,
    { timeoutMs: 30_000 },
  );
}, 600_000);

it('bad limits are refused before anything is reserved, naming the field', async () => {
  const before = await snapshot();
  const r = await call(client, 'session_community_create', {
    session_name: scoped('bad-limits'),
    launch_method: 'python',
    idle_timeout_seconds: -1,
    max_lifetime_seconds: 99_999_999,
  });
  expect(r.success).toBe(false);
  expect(r.error).toMatch(/idle_timeout_seconds: must be 0 \(no idle timeout\)/);
  expect(r.error).toMatch(/max_lifetime_seconds: must be at most 2592000 s/);
  expect(mcp.state.workers.isStarting(scoped('bad-limits'))).toBe(false);
  expect(await snapshot()).toEqual(before);
});
