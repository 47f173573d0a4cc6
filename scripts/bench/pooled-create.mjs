// Pooled session_community_create latency (claim only): a server over stdio with a warm pool; each run waits
// until the pool is full (its "warm pool full" log line, no secrets), then times one create that matches the
// pool, from the call to its answer, and deletes the session (the pool refills before the next run).
// Standalone: node scripts/bench/pooled-create.mjs [runs=5] [python|docker]   (after npm run build)
// Reusable: import { startPooledServer } from './pooled-create.mjs' (scripts/bench/create-latency.mjs).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { offlineImage } from '../../dist/util/paths.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Starts the built server with `warm_pool: { size }` over the given creation defaults and returns:
 * waitFull() resolves when the pool reports full (again), create(name) times one pooled create,
 * remove(name) deletes it, close() stops the server (which drains the pool) and removes its temp dir.
 */
export async function startPooledServer({
  defaults = { heap_size_gb: 1 },
  size = 1,
  readyTimeoutMs = 600_000,
} = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-bench-pool-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  // Also on an exit that skips close() (an uncaught error): the dir holds the config and the server's data.
  process.once('exit', removeDir);
  const configFile = path.join(dir, 'deephaven_mcp.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      community: { session_creation: { max_concurrent_sessions: size + 1, defaults, warm_pool: { size } } },
    }),
  );
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(ROOT, 'dist/cli/systems-server.js')],
    env: { ...process.env, DH_MCP_CONFIG_FILE: configFile, DH_MCP_LOG_LEVEL: 'info', DH_MCP_DATA_DIR: dir },
    stderr: 'pipe',
  });
  // Count "warm pool full" lines: the pool logs one each time it becomes full, also after every refill.
  let fulls = 0;
  let failure;
  let waiting = [];
  let text = '';
  transport.stderr.setEncoding('utf8').on('data', (d) => {
    text += d;
    let i;
    while ((i = text.indexOf('\n')) >= 0) {
      const line = text.slice(0, i);
      text = text.slice(i + 1);
      if (line.includes('"msg":"warm pool: a pooled worker did not start; retrying later"')) {
        // A benchmark does not wait out the pool's back-off: the first failure ends the wait, with its reason.
        failure = new Error(`a pooled worker did not start: ${JSON.parse(line).err}`);
        for (const w of waiting) w.reject(failure);
        waiting = [];
      }
      if (line.includes('"msg":"warm pool full"')) {
        fulls++;
        waiting = waiting.filter((w) => !(fulls >= w.n && (w.resolve(), true)));
      }
    }
  });
  const client = new Client({ name: 'bench-pool', version: '1' });
  try {
    await client.connect(transport);
  } catch (e) {
    await transport.close().catch(() => undefined);
    removeDir();
    throw e;
  }
  let seen = 0;
  return {
    /** Resolves at the next "warm pool full" not yet waited for. */
    waitFull() {
      const n = ++seen;
      if (fulls >= n) return Promise.resolve();
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('the warm pool did not fill in time')),
          readyTimeoutMs,
        );
        waiting.push({
          n,
          resolve: () => (clearTimeout(timer), resolve()),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
      });
    },
    async create(name, args = {}) {
      const t0 = performance.now();
      const r = await client.callTool(
        { name: 'session_community_create', arguments: { session_name: name, ...args } },
        undefined,
        { timeout: 300_000 },
      );
      const ms = performance.now() - t0;
      if (r.isError) throw new Error(r.content[0].text);
      return { ms, fromPool: r.structuredContent.from_pool };
    },
    remove: (name) =>
      client.callTool({ name: 'session_community_delete', arguments: { session_name: name } }),
    async close() {
      try {
        await client.close();
      } finally {
        removeDir();
        process.off('exit', removeDir);
      }
    },
  };
}

const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = Number(process.argv[2] ?? 5);
  const method = process.argv[3] ?? 'python';
  // Docker: the offline dh-mcp image (no registry is reachable on the development machines).
  const defaults = { heap_size_gb: 1, launch_method: method };
  if (method === 'docker') defaults.docker_image = offlineImage('Python');
  const server = await startPooledServer({ defaults });
  const ms = [];
  try {
    for (let i = 0; i < runs; i++) {
      await server.waitFull();
      const r = await server.create(`bench-pooled-${i}`);
      if (!r.fromPool) throw new Error(`run ${i} was not served from the pool`);
      ms.push(r.ms);
      await server.remove(`bench-pooled-${i}`);
    }
  } finally {
    await server.close();
  }
  console.log(
    JSON.stringify(
      {
        method,
        pooled_create_ms_p50: Math.round(pct(ms, 50)),
        pooled_create_ms_p95: Math.round(pct(ms, 95)),
        pooled_create_ms: ms.map(Math.round),
      },
      null,
      2,
    ),
  );
}
