import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectWorker } from '../../../src/deephaven/worker-connection.js';
import { call, inMemoryServer, writeConfig } from '../../helpers/mcp.js';

// The credential decision (4 modes × {static, dynamic}) is unit-tested (test/unit/tools/credential-matrix.test.ts).
// Here, on ONE real worker, what a unit test cannot show: the credentials handed out really log in, for a created
// worker and for a static session (the same worker, configured in a second server), and a refusal through the
// tool holds no secret.
type Server = Awaited<ReturnType<typeof inMemoryServer>>;
const TOKEN = 'credentials-test-psk-0123456789abcdef';
let creator: Server; // mode dynamic_only, with a static session it must refuse
let viewer: Server; // mode static_only, whose static session is the created worker
let port: number;

beforeAll(async () => {
  process.env.DH_CREDS_TEST_PSK = TOKEN;
  creator = await inMemoryServer(
    await writeConfig({
      security: { community: { credential_retrieval_mode: 'dynamic_only' } },
      community: {
        sessions: {
          // Never connected to: credentials need no connection, and this one must be refused anyway.
          other: { host: '127.0.0.1', port: 1, auth_type: 'PSK', auth_token_env_var: 'DH_CREDS_TEST_PSK' },
        },
        session_creation: {
          defaults: { launch_method: 'python', heap_size_gb: 1, startup_timeout_seconds: 180 },
        },
      },
    }),
  );
  const created = await call(creator.client, 'session_community_create', {
    session_name: 'creds',
    auth_token: TOKEN,
  });
  expect(created.success, String(created.error)).toBe(true);
  port = created.port as number;
  viewer = await inMemoryServer(
    await writeConfig({
      security: { community: { credential_retrieval_mode: 'static_only' } },
      community: {
        sessions: {
          fixed: { host: '127.0.0.1', port, auth_type: 'PSK', auth_token_env_var: 'DH_CREDS_TEST_PSK' },
        },
      },
    }),
  );
});

afterAll(async () => {
  await viewer?.close();
  await creator?.close();
});

async function logsIn(r: Record<string, unknown>): Promise<void> {
  const c = await connectWorker({
    url: (r.connection_url as string).replace('localhost', '127.0.0.1'),
    auth: 'PSK',
    token: r.auth_token as string,
    timeoutMs: 90_000,
  });
  await c.close();
}

it('dynamic session, allowed: the URL and PSK log in', async () => {
  const r = await call(creator.client, 'session_community_credentials', {
    session_id: 'community:dynamic:creds',
  });
  const base = `http://localhost:${port}`;
  expect(r).toEqual({
    success: true,
    auth_type: 'PSK',
    auth_token: TOKEN,
    connection_url: base,
    connection_url_with_auth: `${base}/?psk=${TOKEN}`,
  });
  await logsIn(r);
});

it('static session, allowed: the configured URL and the PSK from its env var log in', async () => {
  const r = await call(viewer.client, 'session_community_credentials', {
    session_id: 'community:config:fixed',
  });
  const base = `http://127.0.0.1:${port}`;
  expect(r).toEqual({
    success: true,
    auth_type: 'PSK',
    auth_token: TOKEN,
    connection_url: base,
    connection_url_with_auth: `${base}/?psk=${TOKEN}`,
  });
  await logsIn(r);
});

it('static session, refused: the error names the mode and holds no secret', async () => {
  const r = await call(creator.client, 'session_community_credentials', {
    session_id: 'community:config:other',
  });
  expect(r.success).toBe(false);
  expect(r.error).toMatch(
    /^Credential retrieval for static sessions is disabled\. Current mode: 'dynamic_only'/,
  );
  expect(JSON.stringify(r)).not.toContain(TOKEN);
});

it('rejects ids of other systems before looking at the mode', async () => {
  const r = await call(viewer.client, 'session_community_credentials', { session_id: 'enterprise:prod:x' });
  expect(r.error).toMatch(
    /^Invalid session_id 'enterprise:prod:x'\. This tool only works for community sessions/,
  );
});
