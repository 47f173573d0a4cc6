#!/usr/bin/env node
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { PACKAGE_ROOT } from '../util/paths.js';

/**
 * The end-to-end main job: starts dh-mcp-systems-server over stdio with its embedded default configuration
 * (creation enabled, the launch method chosen as docs/setup.md describes; in a checkout, the provisioned venv), then,
 * exactly as an assistant would, creates a worker with session_community_create, runs a script on it, reads the
 * table back, prints the browser URL the server logged, and deletes the worker. `--keep` waits for Ctrl-C
 * before cleaning up, so the IDE can be opened. Everything started is stopped on every exit path.
 */
const say = (s: string): void => void process.stdout.write(`${s}\n`);
const keep = process.argv.includes('--keep');

async function main(): Promise<void> {
  const t0 = Date.now();
  // An empty working directory: no ./deephaven_mcp.json, so the embedded default applies.
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'dh-mcp-demo-'));
  const env = { ...(process.env as Record<string, string>) };
  delete env.DH_MCP_CONFIG_FILE;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(PACKAGE_ROOT, 'dist', 'cli', 'systems-server.js')],
    env,
    cwd,
    stderr: 'pipe',
  });
  let serverLog = '';
  transport.stderr?.on('data', (d: Buffer) => (serverLog += d.toString('utf8')));
  const client = new Client({ name: 'dh-mcp-demo', version: '1.0.0' });
  let created = false;
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    say(`• dh-mcp-systems-server is up over stdio with the embedded default config (${tools.length} tools)`);

    const call = async (
      name: string,
      args: Record<string, unknown> = {},
    ): Promise<Record<string, unknown>> => {
      const r = (await client.callTool({ name, arguments: args }, undefined, {
        timeout: 300_000,
        resetTimeoutOnProgress: true,
        onprogress: (p) => p.message && say(`    … ${p.message}`),
      })) as CallToolResult;
      const body = JSON.parse((r.content[0] as { text: string }).text) as Record<string, unknown>;
      if (!body.success) throw new Error(`${name} failed: ${String(body.error)}`);
      return body;
    };

    say('• session_community_create {"session_name": "demo"} …');
    const c0 = Date.now();
    const s = await call('session_community_create', { session_name: 'demo' });
    created = true;
    say(
      `  ${String(s.session_id)} ready in ${Date.now() - c0} ms: ${String(s.launch_method)} worker, ` +
        `${String(s.programming_language)}, ${String(s.connection_url)} (${String(s.auth_type)})`,
    );

    const details = (await call('session_details', { session_id: s.session_id })).session as Record<
      string,
      unknown
    >;
    say(
      `• session_details: ${String(details.liveness_status)}, Deephaven ${String(details.deephaven_community_version)}, ` +
        `${String(details.programming_language)} ${String(details.programming_language_version)}`,
    );

    const script =
      details.programming_language === 'groovy'
        ? 'squares = emptyTable(5).update("N = i", "Square = i * i")\nprintln "made squares"'
        : 'from deephaven import empty_table\nsquares = empty_table(5).update(["N = i", "Square = i * i"])\nprint("made squares")';
    const ran = await call('session_script_run', { session_id: s.session_id, script });
    say(`• session_script_run: created ${JSON.stringify(ran.created)}, stdout ${JSON.stringify(ran.stdout)}`);
    const listed = await call('session_tables_list', { session_id: s.session_id });
    say(`• session_tables_list: ${JSON.stringify(listed.table_names)}`);
    const data = await call('session_table_data', { session_id: s.session_id, table_name: 'squares' });
    say(`• session_table_data (markdown-table):\n${String(data.data).replace(/^/gm, '    ')}`);

    const url = /Browser URL: ([^\s\\"]+)/.exec(serverLog)?.[1];
    say(url ? `• browser URL (from the server's WARNING banner): ${url}` : '• no browser URL was logged');
    if (keep && url) {
      say('  --keep: open it now; press Ctrl-C to stop the worker and exit');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }

    await call('session_community_delete', { session_name: 'demo' });
    created = false;
    say('• session_community_delete: worker stopped and removed');
    say(`✓ demo finished in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    process.stderr.write(`${serverLog.split('\n').slice(-15).join('\n')}\n`);
    throw e;
  } finally {
    if (created)
      await client
        .callTool({ name: 'session_community_delete', arguments: { session_name: 'demo' } })
        .catch(() => undefined);
    await client.close().catch(() => undefined); // stdin EOF: the server stops whatever is left
    await rm(cwd, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
