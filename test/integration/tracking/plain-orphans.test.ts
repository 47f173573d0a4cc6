import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { testDocker } from '../../helpers/docker.js';
import { writeConfig } from '../../helpers/mcp.js';
import { StdioPeer } from '../../helpers/stdio-peer.js';

// A plain-image worker does not read stdin, so it cannot notice its owner's death: after kill -9 of the server
// the container keeps running until the next server start removes it by its owner labels.
const REGISTRY = process.env.DH_MCP_REGISTRY ?? '127.0.0.1:5555';
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-plain-orphans-'));

async function server(): Promise<StdioPeer> {
  const file = await writeConfig({
    // Images are named in the tool call: the operator allows any image (docs/security.md).
    security: { community: { allowed_docker_images: ['*'] } },
    community: {
      session_creation: {
        defaults: {
          launch_method: 'docker',
          docker_image: `${REGISTRY}/deephaven/server:42.7`,
          heap_size_gb: 1,
          startup_timeout_seconds: 300,
        },
      },
    },
  });
  const peer = new StdioPeer({ ...process.env, DH_MCP_CONFIG_FILE: file, DH_MCP_DATA_DIR: dataDir });
  await peer.initialize();
  return peer;
}

const state = (id: string): Promise<string> =>
  testDocker()
    .getContainer(id)
    .inspect()
    .then(
      (c) => (c.State.Running ? 'running' : 'stopped'),
      (e: { statusCode?: number }) => String(e.statusCode),
    );

it('kill -9 of the server leaves its plain-image container running; the next start removes it', async () => {
  const first = await server();
  const created = await first.callTool('session_community_create', {
    session_name: `plain-orphan-${process.pid}`,
  });
  expect(created).toMatchObject({ success: true, worker_kind: 'plain-image' });
  const id = created.container_id as string;
  first.proc.kill('SIGKILL');
  await first.exited;
  expect(await state(id)).toBe('running');

  const second = await server();
  try {
    await expect.poll(() => state(id), { timeout: 30_000 }).toBe('404');
  } finally {
    second.proc.stdin.end();
    await second.exited;
  }
}, 600_000);
