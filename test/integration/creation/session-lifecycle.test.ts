import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectWorker } from '../../../src/deephaven/worker-connection.js';
import { testDocker } from '../../helpers/docker.js';
import { pidExists } from '../../../src/util/process-identity.js';
import { inPhaseOrder, phaseOf, type StartPhase } from '../../../src/workers/progress.js';
import { call, inMemoryServer, writeConfig } from '../../helpers/mcp.js';
import { settleTo, snapshot, workerGone, type ResourceSnapshot } from '../../helpers/leaks.js';
import { scoped } from '../../helpers/scope.js';
import { instanceRecords } from '../../helpers/instance-records.js';

// Real workers created through the MCP tools, both launch methods, PSK and anonymous.
let mcp: Awaited<ReturnType<typeof inMemoryServer>>;
let client: Client;
let baseline: ResourceSnapshot;

beforeAll(async () => {
  baseline = await snapshot();
  const file = await writeConfig({
    security: { community: { credential_retrieval_mode: 'all' } },
    community: {
      session_creation: {
        max_concurrent_sessions: 2,
        defaults: { heap_size_gb: 1, startup_timeout_seconds: 180 },
      },
    },
  });
  mcp = await inMemoryServer(file);
  client = mcp.client;
});

// Whatever a test created and did not delete (it failed half-way) must not take a slot from the next one;
// the workers a describe block shares on purpose are kept until its end.
const keep = new Set<string>();
afterEach(async () => {
  const list = await call(client, 'sessions_list');
  for (const s of list.sessions as Array<{ session_name: string; source: string }>)
    if (s.source === 'dynamic' && !keep.has(s.session_name))
      await call(client, 'session_community_delete', { session_name: s.session_name });
});

afterAll(async () => {
  await mcp?.close();
  // Whatever a failing test left running must not outlive the file.
  expect(await settleTo(baseline)).toEqual(baseline);
});

const CASES = [
  { method: 'python', auth: 'PSK', language: 'Python' },
  { method: 'python', auth: 'Anonymous', language: 'Groovy' },
  { method: 'docker', auth: 'PSK', language: 'Python' },
  { method: 'docker', auth: 'Anonymous', language: 'Groovy' },
] as const;

describe.each(CASES)('$method worker, $auth, $language', ({ method, auth, language }) => {
  // Container names are global on the engine: scoped, so a parallel run cannot collide.
  const name = scoped(`life-${method}-${auth.toLowerCase()}`);
  const id = `community:dynamic:${name}`;

  it('create → list → details ONLINE → script → credentials → delete → gone', async () => {
    const created = await call(client, 'session_community_create', {
      session_name: name,
      launch_method: method,
      auth_type: auth,
      programming_language: language,
    });
    expect(created).toMatchObject({
      success: true,
      session_id: id,
      session_name: name,
      launch_method: method,
      auth_type: auth.toUpperCase(),
      programming_language: language.toLowerCase(),
    });
    const port = created.port as number;
    expect(created.connection_url).toBe(`http://localhost:${port}`);
    expect(JSON.stringify(created)).not.toMatch(/psk=|auth_token/);
    if (method === 'python') expect(pidExists(created.process_id as number)).toBe(true);
    else
      expect(
        (
          await testDocker()
            .getContainer(created.container_id as string)
            .inspect()
        ).State.Running,
      ).toBe(true);

    // Tracked while alive: the python pid with its start time, the container by id.
    const rec = instanceRecords().find((r) => r.text.includes(name))?.body;
    expect(rec).toBeDefined();

    const list = await call(client, 'sessions_list');
    expect((list.sessions as Array<{ session_id: string }>).map((s) => s.session_id)).toContain(id);

    const details = await call(client, 'session_details', { session_id: id });
    expect(details.session).toMatchObject({
      session_id: id,
      source: 'dynamic',
      liveness_status: 'ONLINE', // creation already logged in, so no reconnect is needed
      available: true,
      programming_language: language.toLowerCase(),
      deephaven_community_version: '42.7',
      launch_method: method,
      port,
      auth_type: auth.toUpperCase(),
      worker_alive: true,
      connection_url: `http://localhost:${port}`,
    });
    expect(
      (details.session as Record<string, unknown>)[method === 'python' ? 'process_id' : 'container_id'],
    ).toBe(created[method === 'python' ? 'process_id' : 'container_id']);

    // A script through the MCP tool, in the worker's language, and its table read back.
    const ran = await call(client, 'session_script_run', {
      session_id: id,
      script:
        language === 'Python'
          ? 'from deephaven import empty_table\nlife = empty_table(3).update("X = i * 7")'
          : 'life = emptyTable(3).update("X = i * 7")',
    });
    expect(ran).toMatchObject({ success: true, created: [{ name: 'life', type: 'Table' }] });
    const data = await call(client, 'session_table_data', {
      session_id: id,
      table_name: 'life',
      format: 'json-column',
    });
    expect(data.data).toEqual({ X: [0, 7, 14] });

    // The credentials really log in (and the anonymous worker really needs none).
    const creds = await call(client, 'session_community_credentials', { session_id: id });
    expect(creds.auth_type).toBe(auth.toUpperCase());
    if (auth === 'PSK') {
      expect(creds.auth_token).toMatch(/^[0-9a-f]{32}$/);
      expect(creds.connection_url_with_auth).toBe(
        `http://localhost:${port}/?psk=${creds.auth_token as string}`,
      );
    } else {
      expect(creds.auth_token).toBe('');
    }
    const c = await connectWorker({
      url: `http://127.0.0.1:${port}`,
      auth: auth === 'PSK' ? 'PSK' : 'ANONYMOUS',
      token: (creds.auth_token as string) || undefined,
      timeoutMs: 90_000,
    });
    await c.close();

    const deleted = await call(client, 'session_community_delete', { session_name: name });
    expect(deleted).toEqual({ success: true, session_id: id, session_name: name, worker_stopped: true });
    const twice = await call(client, 'session_community_delete', { session_name: name });
    expect(twice).toMatchObject({ success: false });
    expect(twice.error).toMatch(/not found/);
    const after = await call(client, 'sessions_list');
    expect((after.sessions as Array<{ session_id: string }>).map((s) => s.session_id)).not.toContain(id);
    expect(
      await workerGone({
        pid: created.process_id as number | undefined,
        containerId: created.container_id as string | undefined,
      }),
    ).toBe(true);
    expect(instanceRecords().some((r) => r.text.includes(name))).toBe(false);
  });
});

// One python worker shared by the rules that need a live created worker but not a fresh one of their own.
describe('rules around a created worker', () => {
  const progress: string[] = [];
  let shared: Record<string, unknown>;

  beforeAll(async () => {
    // Set before the worker starts: it must not inherit it.
    process.env.DH_LIFECYCLE_SERVER_SECRET = 'server-side-secret';
    keep.add('shared');
    const r = await client.callTool(
      { name: 'session_community_create', arguments: { session_name: 'shared', launch_method: 'python' } },
      undefined,
      { onprogress: (p) => progress.push(p.message ?? ''), resetTimeoutOnProgress: true },
    );
    expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
    shared = r.structuredContent as Record<string, unknown>;
  });

  afterAll(async () => {
    delete process.env.DH_LIFECYCLE_SERVER_SECRET;
    keep.delete('shared');
    await call(client, 'session_community_delete', { session_name: 'shared' }); // unless mcp_reload stopped it
  });

  it('sent progress notifications while the worker booted, as the caller asked, each naming its phase in order', () => {
    expect(progress[0]).toBe("start: launching python worker 'shared'");
    const phases = progress.map(phaseOf);
    expect(
      phases.filter((p) => p === undefined),
      progress.join('\n'),
    ).toEqual([]);
    expect(inPhaseOrder(phases as StartPhase[]), progress.join('\n')).toBe(true);
    // A python worker has nothing to pull.
    expect([...new Set(phases)]).toEqual(['start', 'ready', 'login']);
    expect(progress).toContain("login: logging in to worker 'shared'");
  });

  it("a created python worker does not inherit the server's environment (which holds other sessions' tokens)", async () => {
    const r = await call(client, 'session_script_run', {
      session_id: 'community:dynamic:shared',
      script: 'import os\nprint(os.environ.get("DH_LIFECYCLE_SERVER_SECRET"), "PATH" in os.environ)',
    });
    expect(r.stdout).toBe('None True\n');
  });

  it('a duplicate name is refused before anything is launched, whatever the launch method', async () => {
    const before = await snapshot();
    for (const method of ['python', 'docker']) {
      const again = await call(client, 'session_community_create', {
        session_name: 'shared',
        launch_method: method,
      });
      expect(again.success).toBe(false);
      expect(again.error).toMatch(/'community:dynamic:shared' already exists/);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('mcp_reload stops and untracks created workers, as the reference does', async () => {
    expect(pidExists(shared.process_id as number)).toBe(true);
    expect((await call(client, 'mcp_reload')).success).toBe(true);
    expect(pidExists(shared.process_id as number)).toBe(false);
    const list = await call(client, 'sessions_list');
    expect(list.sessions).toEqual([]);
    expect(instanceRecords()).toEqual([]);
  });
});

describe('rules around created workers', () => {
  it('bad names are refused before anything is launched', async () => {
    const bad = await call(client, 'session_community_create', { session_name: 'no/slashes' });
    expect(bad.error).toMatch(/session_name: 'no\/slashes' is not valid/);
  });

  it('a worker that dies is reported OFFLINE with worker_alive false; delete still works and frees the slot', async () => {
    const a = await call(client, 'session_community_create', {
      session_name: 'dies',
      launch_method: 'python',
    });
    const b = await call(client, 'session_community_create', {
      session_name: 'other',
      launch_method: 'python',
    });
    expect(b.success).toBe(true);
    const full = await call(client, 'session_community_create', {
      session_name: 'third',
      launch_method: 'python',
    });
    expect(full.error).toMatch(/Session limit reached: 2\/2/);

    process.kill(a.process_id as number, 'SIGKILL');
    await expect.poll(() => pidExists(a.process_id as number)).toBe(false);
    const d = await call(client, 'session_details', {
      session_id: 'community:dynamic:dies',
      attempt_to_connect: true,
    });
    expect(d.session).toMatchObject({ liveness_status: 'OFFLINE', available: false, worker_alive: false });
    expect((d.session as { liveness_detail: string }).liveness_detail).toMatch(/no longer running/);

    expect((await call(client, 'session_community_delete', { session_name: 'dies' })).success).toBe(true);
    const third = await call(client, 'session_community_create', {
      session_name: 'third',
      launch_method: 'python',
    });
    expect(third.success).toBe(true);
  });
});
