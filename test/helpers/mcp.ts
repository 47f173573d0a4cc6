import { writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { readConfigFile } from '../../src/config/load.js';
import { AppState } from '../../src/server/app-state.js';
import { createMcpServer } from '../../src/server/mcp-server.js';

export async function writeConfig(config: unknown, dir?: string): Promise<string> {
  const d = dir ?? (await mkdtemp(path.join(os.tmpdir(), 'dh-mcp-test-')));
  const file = path.join(d, 'deephaven_mcp.json');
  await writeFile(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return file;
}

/** The real server wired to an SDK client over the in-memory transport. */
export async function inMemoryServer(
  configFile: string,
): Promise<{ client: Client; state: AppState; close(): Promise<void> }> {
  const state = await AppState.create(() => readConfigFile(configFile));
  const server = createMcpServer(state);
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'dh-mcp-test', version: '1.0.0' });
  await client.connect(b);
  return {
    client,
    state,
    async close() {
      await client.close();
      await server.close();
      await state.shutdown();
    },
  };
}

/** Calls a tool and returns its structured body; the JSON text must say the same. */
export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  // The SDK gives up on a request after 60 s; a create on a loaded machine can take longer.
  const r = (await client.callTool({ name, arguments: args }, undefined, {
    timeout: 280_000,
  })) as CallToolResult;
  const text = r.content?.[0];
  if (!text || text.type !== 'text') throw new Error(`tool ${name} returned no text content`);
  const body = JSON.parse(text.text) as Record<string, unknown>;
  if (r.structuredContent) {
    if (JSON.stringify(r.structuredContent) !== JSON.stringify(body))
      throw new Error('structuredContent differs from the JSON text');
  }
  if ((body.success === false) !== (r.isError === true))
    throw new Error(`isError (${r.isError}) disagrees with success (${String(body.success)})`);
  return body;
}
