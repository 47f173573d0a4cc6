import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIAL_RETRIEVAL_MODES } from '../../../src/config/schema.js';
import { DynamicSession } from '../../../src/creation/dynamic-session.js';
import { connectWorker } from '../../../src/deephaven/worker-connection.js';
import { call, inMemoryServer, writeConfig } from '../../helpers/mcp.js';
import { startVenvWorker, type TestWorker } from '../../helpers/workers.js';

// Four modes × {static, dynamic}: one real static worker (PSK from an env var) shared by all, one created
// worker per mode. Allowed credentials must really log in; refused ones must hold no secret.
let staticWorker: TestWorker;
const servers: Array<Awaited<ReturnType<typeof inMemoryServer>>> = [];

beforeAll(async () => {
  staticWorker = await startVenvWorker({ auth: 'PSK' });
  process.env.DH_CREDS_TEST_PSK = staticWorker.token;
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await staticWorker?.stop();
});

const ALLOWED: Record<string, { static: boolean; dynamic: boolean }> = {
  none: { static: false, dynamic: false },
  dynamic_only: { static: false, dynamic: true },
  static_only: { static: true, dynamic: false },
  all: { static: true, dynamic: true },
};

describe.each(CREDENTIAL_RETRIEVAL_MODES)('credential_retrieval_mode %s', (mode) => {
  let mcp: Awaited<ReturnType<typeof inMemoryServer>>;
  let dynamicToken: string;

  beforeAll(async () => {
    mcp = await inMemoryServer(
      await writeConfig({
        security: { community: { credential_retrieval_mode: mode } },
        community: {
          sessions: {
            fixed: {
              host: '127.0.0.1',
              port: staticWorker.port,
              auth_type: 'PSK',
              auth_token_env_var: 'DH_CREDS_TEST_PSK',
            },
          },
          session_creation: { defaults: { launch_method: 'python', heap_size_gb: 1 } },
        },
      }),
    );
    servers.push(mcp);
    const created = await call(mcp.client, 'session_community_create', {
      session_name: `creds-${mode}`,
      auth_token: `token-for-${mode}-0123456789abcdef`,
    });
    expect(created.success).toBe(true);
    dynamicToken = `token-for-${mode}-0123456789abcdef`;
  });

  it.each(['static', 'dynamic'] as const)('%s session', async (kind) => {
    const id = kind === 'static' ? 'community:config:fixed' : `community:dynamic:creds-${mode}`;
    const r = await call(mcp.client, 'session_community_credentials', { session_id: id });
    const token = kind === 'static' ? staticWorker.token! : dynamicToken;
    if (!ALLOWED[mode]![kind]) {
      expect(r.success).toBe(false);
      expect(r.error).toMatch(
        mode === 'none'
          ? /^Credential retrieval is disabled \(mode='none'\)/
          : new RegExp(`^Credential retrieval for ${kind} sessions is disabled\\. Current mode: '${mode}'`),
      );
      expect(JSON.stringify(r)).not.toContain(token);
      return;
    }
    const base =
      kind === 'static'
        ? `http://127.0.0.1:${staticWorker.port}`
        : `http://localhost:${(mcp.state.registry.get(id) as DynamicSession).worker.port}`;
    expect(r).toEqual({
      success: true,
      auth_type: 'PSK',
      auth_token: token,
      connection_url: base,
      connection_url_with_auth: `${base}/?psk=${token}`,
    });
    const c = await connectWorker({
      url: (r.connection_url as string).replace('localhost', '127.0.0.1'),
      auth: 'PSK',
      token: r.auth_token as string,
      timeoutMs: 20_000,
    });
    await c.close();
  });
});

it('rejects ids of other systems before looking at the mode', async () => {
  const r = await call(servers[0]!.client, 'session_community_credentials', {
    session_id: 'enterprise:prod:x',
  });
  expect(r.error).toMatch(
    /^Invalid session_id 'enterprise:prod:x'\. This tool only works for community sessions/,
  );
});
