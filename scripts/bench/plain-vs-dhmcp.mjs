// In one run: session_community_create latency of a plain-image worker (the official-image stand-in) against a
// dh-mcp-image worker, alternating, and the pull time of the stand-in from the local registry.
// Usage (after npm run build and provisioning):
//   node scripts/bench/plain-vs-dhmcp.mjs [runs=3] [--fresh-pull]
// --fresh-pull removes this machine's copy of the stand-in tag first (only when no container uses it), so the
// pull downloads; without it the pull is timed as `pull_policy: always` against what is already here.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createDockerClient } from '../../dist/workers/docker-client.js';
import { ensureImage } from '../../dist/workers/image-pull.js';
import { offlineImage } from '../../dist/util/paths.js';

const runs = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 3);
const fresh = process.argv.includes('--fresh-pull');
const REGISTRY = process.env.DH_MCP_REGISTRY ?? '127.0.0.1:5555';
const PLAIN = `${REGISTRY}/deephaven/server:42.7`;
const DHMCP = offlineImage('Python');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const docker = createDockerClient();
let layers = 0;
let bytes = 0;
if (fresh) {
  const users = await docker.listContainers({ all: true, filters: { ancestor: [PLAIN] } });
  if (users.length) throw new Error(`${PLAIN} is used by ${users.length} container(s); not removing it`);
  await docker
    .getImage(PLAIN)
    .remove({ noprune: false })
    .catch(() => undefined);
}
const p0 = performance.now();
await ensureImage(docker, PLAIN, {
  policy: 'always',
  onProgress: (p) => {
    layers = p.layers;
    bytes = p.bytesDone;
  },
});
const pullMs = performance.now() - p0;

const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-bench-'));
// Removed on any exit, a failed run included (the dir holds the config and the server's data).
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const configFile = path.join(dir, 'deephaven_mcp.json');
writeFileSync(
  configFile,
  JSON.stringify({
    community: {
      session_creation: {
        defaults: { launch_method: 'docker', heap_size_gb: 1, startup_timeout_seconds: 300 },
      },
    },
  }),
);
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [path.resolve('dist/cli/systems-server.js')],
  env: { ...process.env, DH_MCP_CONFIG_FILE: configFile, DH_MCP_LOG_LEVEL: 'warn', DH_MCP_DATA_DIR: dir },
  stderr: 'ignore',
});
const client = new Client({ name: 'bench', version: '1' });
await client.connect(transport);

async function create(image, i) {
  const name = `bench-${i}`;
  const t0 = performance.now();
  const r = await client.callTool(
    { name: 'session_community_create', arguments: { session_name: name, docker_image: image } },
    undefined,
    { timeout: 600_000 },
  );
  const ms = performance.now() - t0;
  if (r.isError) throw new Error(r.content[0].text);
  const kind = r.structuredContent.worker_kind;
  await client.callTool({ name: 'session_community_delete', arguments: { session_name: name } });
  return { ms, kind };
}

const times = { 'plain-image': [], 'dhmcp-image': [] };
try {
  for (let i = 0; i < runs; i++) {
    for (const [j, image] of [PLAIN, DHMCP].entries()) {
      const { ms, kind } = await create(image, `${i}-${j}`);
      times[kind].push(ms);
    }
  }
} finally {
  // Stops the server (and with it any session a failed run left) before the dir goes.
  await client.close();
}

const row = (xs) => ({ median_ms: Math.round(median(xs)), all_ms: xs.map(Math.round) });
console.log(
  JSON.stringify(
    {
      machine: { cpus: os.cpus().length, load1: os.loadavg()[0].toFixed(1) },
      pull: { image: PLAIN, fresh, ms: Math.round(pullMs), layers, bytes_downloaded: bytes },
      create: { plain_image: row(times['plain-image']), dhmcp_image: row(times['dhmcp-image']) },
      ratio_plain_to_dhmcp: +(median(times['plain-image']) / median(times['dhmcp-image'])).toFixed(2),
    },
    null,
    2,
  ),
);
