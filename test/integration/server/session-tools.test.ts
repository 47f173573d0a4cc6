import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { writeFile } from 'node:fs/promises';
import { connectWorker } from '../../../src/deephaven/worker-connection.js';
import { freePort } from '../../../src/workers/drivers/python/free-port.js';
import { pinnedDeephavenVersion } from '../../../src/util/paths.js';
import { call, inMemoryServer, writeConfig } from '../../helpers/mcp.js';
import { StdioPeer } from '../../helpers/stdio-peer.js';
import { startVenvWorker, type TestWorker } from '../../helpers/workers.js';

// Real workers from the provisioned venv: one PSK-protected, one anonymous. Shared by the whole file, through the
// in-memory transport and through the built server over stdio.
let psk: TestWorker;
let anon: TestWorker;
let deadPort: number;
let configFile: string;
let mcp: Awaited<ReturnType<typeof inMemoryServer>>;
let client: Client;

function config(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    community: {
      sessions: {
        psk: { host: '127.0.0.1', port: psk.port, auth_type: 'PSK', auth_token_env_var: 'DH_TEST_PSK' },
        anon: { host: '127.0.0.1', port: anon.port, auth_type: 'Anonymous' },
        'wrong-token': {
          host: '127.0.0.1',
          port: psk.port,
          auth_type: 'io.deephaven.authentication.psk.PskAuthenticationHandler',
          auth_token: 'not-the-token',
        },
        offline: { host: '127.0.0.1', port: deadPort, auth_type: 'Anonymous' },
        'missing-env': {
          host: '127.0.0.1',
          port: psk.port,
          auth_type: 'PSK',
          auth_token_env_var: 'DH_TEST_UNSET_VARIABLE',
        },
        ...extra,
      },
    },
  };
}

beforeAll(async () => {
  [psk, anon, deadPort] = await Promise.all([
    startVenvWorker({ auth: 'PSK' }),
    startVenvWorker({ auth: 'ANONYMOUS' }),
    freePort(),
  ]);
  process.env.DH_TEST_PSK = psk.token;
  delete process.env.DH_TEST_UNSET_VARIABLE;
  configFile = await writeConfig(config());
  mcp = await inMemoryServer(configFile);
  client = mcp.client;
});

afterAll(async () => {
  await mcp?.close();
  await Promise.all([psk?.stop(), anon?.stop()]);
});

describe('tools/list', () => {
  it('lists the session tools with output schemas and annotations', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of ['sessions_list', 'session_details', 'mcp_reload', 'enterprise_systems_status']) {
      const t = byName.get(name);
      expect(t, name).toBeDefined();
      expect(t!.outputSchema?.type).toBe('object');
      expect(t!.annotations?.readOnlyHint).toBeTypeOf('boolean');
      expect(t!.annotations?.destructiveHint).toBeTypeOf('boolean');
    }
    expect(byName.get('sessions_list')!.annotations!.readOnlyHint).toBe(true);
    expect(byName.get('mcp_reload')!.annotations!.destructiveHint).toBe(true);
  });
});

describe('sessions_list', () => {
  it('lists the static sessions in config order with reference fields', async () => {
    const r = await call(client, 'sessions_list');
    expect(r.success).toBe(true);
    expect(r.sessions).toEqual(
      ['psk', 'anon', 'wrong-token', 'offline', 'missing-env'].map((n) => ({
        session_id: `community:config:${n}`,
        type: 'COMMUNITY',
        source: 'config',
        session_name: n,
      })),
    );
  });
});

describe('session_details', () => {
  it('reports UNKNOWN without connecting, then ONLINE with language and versions read from the worker', async () => {
    const before = await call(client, 'session_details', { session_id: 'community:config:psk' });
    expect(before.session).toMatchObject({ available: false, liveness_status: 'UNKNOWN' });

    const r = await call(client, 'session_details', {
      session_id: 'community:config:psk',
      attempt_to_connect: true,
    });
    expect(r.success).toBe(true);
    expect(r.session).toMatchObject({
      session_id: 'community:config:psk',
      type: 'COMMUNITY',
      source: 'config',
      session_name: 'psk',
      available: true,
      liveness_status: 'ONLINE',
      programming_language: 'python',
      deephaven_community_version: pinnedDeephavenVersion(),
      connection_url: `http://127.0.0.1:${psk.port}`,
    });
    expect((r.session as Record<string, string>).programming_language_version).toMatch(/^3\.11\.\d+$/);

    // Now that a connection is open, attempt_to_connect=false uses it without new traffic.
    const cached = await call(client, 'session_details', { session_id: 'community:config:psk' });
    expect(cached.session).toMatchObject({ available: true, liveness_status: 'ONLINE' });
  });

  it('reports ONLINE for an anonymous worker', async () => {
    const r = await call(client, 'session_details', {
      session_id: 'community:config:anon',
      attempt_to_connect: true,
    });
    expect(r.session).toMatchObject({ liveness_status: 'ONLINE', programming_language: 'python' });
  });

  it('reports UNAUTHORIZED for a wrong token', async () => {
    const r = await call(client, 'session_details', {
      session_id: 'community:config:wrong-token',
      attempt_to_connect: true,
    });
    expect(r.success).toBe(true);
    expect(r.session).toMatchObject({ available: false, liveness_status: 'UNAUTHORIZED' });
    expect(String((r.session as Record<string, unknown>).liveness_detail)).toContain('rejected');
    expect(JSON.stringify(r)).not.toContain('not-the-token');
  });

  it('reports OFFLINE when nothing listens', async () => {
    const r = await call(client, 'session_details', {
      session_id: 'community:config:offline',
      attempt_to_connect: true,
    });
    expect(r.session).toMatchObject({ available: false, liveness_status: 'OFFLINE' });
    expect(String((r.session as Record<string, unknown>).liveness_detail)).toContain('connection refused');
  });

  it('reports MISCONFIGURED when the token variable is not set, naming the variable and the key', async () => {
    const r = await call(client, 'session_details', {
      session_id: 'community:config:missing-env',
      attempt_to_connect: true,
    });
    expect(r.session).toMatchObject({ liveness_status: 'MISCONFIGURED' });
    expect(String((r.session as Record<string, unknown>).liveness_detail)).toContain(
      "'DH_TEST_UNSET_VARIABLE' named by community.sessions.missing-env.auth_token_env_var",
    );
  });

  it('leaves nothing in the worker scope', async () => {
    await call(client, 'session_details', { session_id: 'community:config:anon', attempt_to_connect: true });
    const conn = await connectWorker({ url: anon.url, auth: 'ANONYMOUS' });
    try {
      const names = await new Promise<string[]>((resolve) => {
        const stop = conn.ide.subscribeToFieldUpdates((changes) => {
          stop();
          resolve(Array.from(changes.created, (v) => v.title ?? ''));
        });
      });
      expect(names).toEqual([]);
    } finally {
      await conn.close();
    }
  });

  it('rejects malformed and unknown ids with the reference error shape', async () => {
    const bad = await call(client, 'session_details', { session_id: 'nonsense' });
    expect(bad).toMatchObject({ success: false, isError: true });
    expect(String(bad.error)).toContain("Invalid session_id 'nonsense'");
    const unknown = await call(client, 'session_details', { session_id: 'community:config:nope' });
    expect(String(unknown.error)).toContain("Session 'community:config:nope' not found");
    expect(String(unknown.error)).toContain('community:config:psk');
  });

  it('reconnects after the worker restarts on the same port', async () => {
    const first = await call(client, 'session_details', {
      session_id: 'community:config:anon',
      attempt_to_connect: true,
    });
    expect(first.session).toMatchObject({ liveness_status: 'ONLINE' });
    await anon.stop();
    const down = await call(client, 'session_details', {
      session_id: 'community:config:anon',
      attempt_to_connect: true,
    });
    expect(down.session).toMatchObject({ liveness_status: 'OFFLINE' });
    anon = await startVenvWorker({ auth: 'ANONYMOUS', port: anon.port });
    const back = await call(client, 'session_details', {
      session_id: 'community:config:anon',
      attempt_to_connect: true,
    });
    expect(back.session).toMatchObject({ liveness_status: 'ONLINE' });
  });
});

describe('mcp_reload', () => {
  it('keeps the previous state when the new file is invalid, and applies a valid one', async () => {
    await writeFile(configFile, JSON.stringify({ community: { sessions: { x: { port: 'ten' } } } }));
    const bad = await call(client, 'mcp_reload');
    expect(bad).toMatchObject({ success: false, isError: true });
    expect(String(bad.error)).toContain('community.sessions.x.port');
    const still = await call(client, 'sessions_list');
    expect((still.sessions as unknown[]).length).toBe(5);

    await writeFile(
      configFile,
      `// JSON5 is accepted\n{community: {sessions: {only: {host: '127.0.0.1', port: ${anon.port}, auth_type: 'anonymous',},},},}`,
    );
    const ok = await call(client, 'mcp_reload');
    expect(ok).toEqual({ success: true });
    const after = await call(client, 'sessions_list');
    expect((after.sessions as Array<{ session_id: string }>).map((s) => s.session_id)).toEqual([
      'community:config:only',
    ]);
    const d = await call(client, 'session_details', {
      session_id: 'community:config:only',
      attempt_to_connect: true,
    });
    expect(d.session).toMatchObject({ liveness_status: 'ONLINE' });
  });
});

describe('dh-mcp-systems-server over stdio', () => {
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const file = await writeConfig({
      community: {
        sessions: {
          local: {
            host: '127.0.0.1',
            port: psk.port,
            auth_type: 'PSK',
            auth_token_env_var: 'DH_STDIO_TEST_PSK',
          },
        },
      },
    });
    env = {
      ...process.env,
      DH_MCP_CONFIG_FILE: file,
      DH_STDIO_TEST_PSK: psk.token,
      DH_MCP_LOG_LEVEL: 'debug',
    };
  });

  it('answers tools and writes nothing but JSON-RPC on stdout; exits on stdin EOF', async () => {
    const peer = new StdioPeer(env);
    await peer.initialize();
    const list = await peer.request(2, 'tools/list');
    const names = (list.result as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['sessions_list', 'session_details', 'mcp_reload']));
    const details = await peer.request(3, 'tools/call', {
      name: 'session_details',
      arguments: { session_id: 'community:config:local', attempt_to_connect: true },
    });
    const result = details.result as { structuredContent: { session: Record<string, unknown> } };
    expect(result.structuredContent.session).toMatchObject({
      liveness_status: 'ONLINE',
      programming_language: 'python',
    });
    peer.proc.stdin.end();
    const exit = await peer.exited;
    expect(exit.code).toBe(0);
    for (const line of peer.stdoutLines) expect(JSON.parse(line)).toHaveProperty('jsonrpc', '2.0');
    // The PSK reached the worker but never a log line, even at debug level.
    expect(peer.stderr).not.toContain(psk.token!);
    expect(peer.stderr).toContain('shutdown complete');
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('shuts down cleanly on %s', async (sig) => {
    const peer = new StdioPeer(env);
    await peer.initialize();
    await peer.request(2, 'tools/call', {
      name: 'session_details',
      arguments: { session_id: 'community:config:local', attempt_to_connect: true },
    });
    const t0 = Date.now();
    peer.proc.kill(sig);
    const exit = await peer.exited;
    expect(exit.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('refuses to start on an invalid config, naming the key path', async () => {
    const bad = await writeConfig({ community: { sessions: { a: { port: 70000, colour: 'red' } } } });
    const peer = new StdioPeer({ ...env, DH_MCP_CONFIG_FILE: bad });
    const exit = await peer.exited;
    expect(exit.code).toBe(2);
    expect(peer.stderr).toContain('community.sessions.a.port: must be between 1 and 65535');
    expect(peer.stderr).toContain("unknown key 'colour'");
    expect(peer.stdoutLines).toEqual([]);
  });
});
