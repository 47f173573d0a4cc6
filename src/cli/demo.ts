#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { embeddedDefaultConfig } from '../config/default-config.js';
import { launchPython } from '../creation/launchers/python-launcher.js';
import { freePort } from '../creation/ports.js';
import { PACKAGE_ROOT, provisionedVenv } from '../util/paths.js';

/**
 * The end-to-end demo: boots a real Deephaven worker from the provisioned venv, starts dh-mcp-systems-server
 * over stdio exactly as an assistant would, and lists and inspects the worker through MCP tools. Everything it
 * started is stopped on every exit path.
 */
const say = (s: string): void => void process.stdout.write(`${s}\n`);

async function main(): Promise<void> {
  const t0 = Date.now();
  const token = randomBytes(16).toString('hex');
  const port = await freePort();
  say(`• starting a Deephaven worker from ${provisionedVenv()} on 127.0.0.1:${port} …`);
  const worker = await launchPython({
    name: 'demo',
    auth: 'PSK',
    token,
    language: 'python',
    heapSizeGb: 1,
    extraJvmArgs: [],
    environment: {},
    labels: {},
    exitWithOwner: true,
    venvPath: provisionedVenv(),
    port,
  });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dh-mcp-demo-'));
  let client: Client | undefined;
  const cleanup = async (): Promise<void> => {
    await client?.close().catch(() => undefined);
    await worker.stop();
    await rm(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const ready = await worker.waitUntilReady({ timeoutMs: 180_000 });
    say(`  worker ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (Deephaven ${ready.version ?? '?'})`);

    // The embedded default configuration, plus this worker as a static session.
    const config = embeddedDefaultConfig('python');
    config.community = {
      ...config.community,
      sessions: { demo: { host: '127.0.0.1', port, auth_type: 'PSK', auth_token_env_var: 'DH_DEMO_PSK' } },
    };
    const configFile = path.join(dir, 'deephaven_mcp.json');
    await writeFile(configFile, JSON.stringify(config, null, 2));

    say('• starting dh-mcp-systems-server over stdio …');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(PACKAGE_ROOT, 'dist', 'cli', 'systems-server.js')],
      env: {
        ...(process.env as Record<string, string>),
        DH_MCP_CONFIG_FILE: configFile,
        DH_DEMO_PSK: token,
        DH_MCP_LOG_LEVEL: 'warn',
      },
      stderr: 'inherit',
    });
    client = new Client({ name: 'dh-mcp-demo', version: '1.0.0' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    say(`  tools: ${tools.map((t) => t.name).join(', ')}`);

    const show = async (name: string, args: Record<string, unknown> = {}): Promise<void> => {
      const r = (await client!.callTool({ name, arguments: args })) as CallToolResult;
      const text = r.content[0]?.type === 'text' ? r.content[0].text : '';
      say(`• ${name} ${JSON.stringify(args)}\n${text.replace(/^/gm, '  ')}`);
      if (r.isError) throw new Error(`${name} failed`);
    };
    await show('sessions_list');
    await show('session_details', { session_id: 'community:config:demo', attempt_to_connect: true });
    say(`✓ demo finished in ${((Date.now() - t0) / 1000).toFixed(1)} s; stopping the worker`);
  } finally {
    await cleanup();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
