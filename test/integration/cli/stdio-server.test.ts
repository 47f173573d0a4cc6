import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StdioPeer } from '../../helpers/stdio-peer.js';
import { writeConfig } from '../../helpers/mcp.js';
import { startVenvWorker, type TestWorker } from '../../helpers/workers.js';

let worker: TestWorker;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  worker = await startVenvWorker({ auth: 'PSK' });
  const file = await writeConfig({
    community: {
      sessions: {
        local: {
          host: '127.0.0.1',
          port: worker.port,
          auth_type: 'PSK',
          auth_token_env_var: 'DH_STDIO_TEST_PSK',
        },
      },
    },
  });
  env = {
    ...process.env,
    DH_MCP_CONFIG_FILE: file,
    DH_STDIO_TEST_PSK: worker.token,
    DH_MCP_LOG_LEVEL: 'debug',
  };
});

afterAll(async () => {
  await worker?.stop();
});

describe('dh-mcp-systems-server over stdio', () => {
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
    expect(peer.stderr).not.toContain(worker.token!);
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
