import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWorker } from '../../../src/deephaven/worker-connection.js';
import { testDocker } from '../../helpers/docker.js';
import { LABELS } from '../../../src/workers/owner-labels.js';
import { call, inMemoryServer, writeConfig } from '../../helpers/mcp.js';

// Workers of plain Deephaven images (the stand-ins of ghcr.io/deephaven/server and server-slim in the local
// registry, pulled on demand): created, used and deleted through MCP, PSK and anonymous, Python and Groovy.
const REGISTRY = process.env.DH_MCP_REGISTRY ?? '127.0.0.1:5555';
const SERVER = `${REGISTRY}/deephaven/server:42.7`;
const SERVER_SLIM = `${REGISTRY}/deephaven/server-slim:42.7`;

let mcp: Awaited<ReturnType<typeof inMemoryServer>>;
let client: Client;

/** Containers this file's server owns (by its instance label): never anyone else's. */
async function ourContainers(): Promise<string[]> {
  const list = await testDocker().listContainers({
    all: true,
    filters: { label: [`${LABELS.instance}=${mcp.state.tracker.instanceId}`] },
  });
  return list.map((c) => c.Id);
}

/** A create may pull and boot a JVM on a busy machine: longer than the SDK's 60 s default. */
async function create(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = (await client.callTool({ name: 'session_community_create', arguments: args }, undefined, {
    timeout: 600_000,
  })) as CallToolResult;
  return (
    r.structuredContent ?? (JSON.parse((r.content[0] as { text: string }).text) as Record<string, unknown>)
  );
}

beforeAll(async () => {
  const file = await writeConfig({
    // Images are named in the tool call: the operator allows any image (docs/security.md).
    security: { community: { credential_retrieval_mode: 'all', allowed_docker_images: ['*'] } },
    community: {
      session_creation: {
        max_concurrent_sessions: 2,
        defaults: { launch_method: 'docker', heap_size_gb: 1, startup_timeout_seconds: 300 },
      },
    },
  });
  mcp = await inMemoryServer(file);
  client = mcp.client;
});

afterAll(async () => {
  await mcp?.close();
  if (mcp) expect(await ourContainers()).toEqual([]);
});

describe.each([
  {
    image: SERVER,
    auth: 'PSK',
    language: 'python',
    script: 'from deephaven import empty_table\nt = empty_table(4).update("X = i * 3")',
  },
  {
    image: SERVER_SLIM,
    auth: 'Anonymous',
    language: 'groovy',
    script: 't = emptyTable(4).update("X = i * 3")',
  },
] as const)('plain image $image, $auth', ({ image, auth, language, script }) => {
  const name = `plain-${language}`;
  const id = `community:dynamic:${name}`;

  it('create → details → script → table → credentials → delete, the PSK never in docker inspect', async () => {
    const created = await create({ session_name: name, docker_image: image, auth_type: auth });
    expect(created).toMatchObject({
      success: true,
      session_id: id,
      launch_method: 'docker',
      worker_kind: 'plain-image',
      programming_language: language,
      auth_type: auth.toUpperCase(),
    });
    const containerId = created.container_id as string;

    const details = await call(client, 'session_details', { session_id: id });
    expect(details.session).toMatchObject({
      liveness_status: 'ONLINE',
      worker_kind: 'plain-image',
      programming_language: language,
      deephaven_community_version: '42.7',
      container_id: containerId,
      image,
      worker_alive: true,
    });
    expect(details.session).not.toHaveProperty('psk_exposure');

    const ran = await call(client, 'session_script_run', { session_id: id, script });
    expect(ran).toMatchObject({ success: true, created: [{ name: 't', type: 'Table' }] });
    const data = await call(client, 'session_table_data', {
      session_id: id,
      table_name: 't',
      format: 'json-column',
    });
    expect(data).toMatchObject({ success: true, data: { X: [0, 3, 6, 9] } });

    const creds = await call(client, 'session_community_credentials', { session_id: id });
    if (auth === 'PSK') {
      const inspect = JSON.stringify(await testDocker().getContainer(containerId).inspect());
      const token = creds.auth_token as string;
      expect(token).toMatch(/^[0-9a-f]{32}$/);
      expect(inspect).not.toContain(token);
      // The credentials log in; a wrong PSK is refused.
      const url = `http://127.0.0.1:${created.port as number}`;
      const ok = await connectWorker({ url, auth: 'PSK', token, timeoutMs: 90_000 });
      await ok.close();
      await expect(
        connectWorker({ url, auth: 'PSK', token: `${token}x`, timeoutMs: 90_000 }),
      ).rejects.toThrow();
    } else {
      expect(creds.auth_token).toBe('');
      const anon = await connectWorker({
        url: `http://127.0.0.1:${created.port as number}`,
        auth: 'ANONYMOUS',
        timeoutMs: 90_000,
      });
      await anon.close();
    }

    const deleted = await call(client, 'session_community_delete', { session_name: name });
    expect(deleted).toMatchObject({ success: true, session_id: id });
    const gone = await testDocker()
      .getContainer(containerId)
      .inspect()
      .then(
        () => 'present',
        (e: { statusCode?: number }) => String(e.statusCode),
      );
    expect(gone).toBe('404');
  }, 600_000);
});
