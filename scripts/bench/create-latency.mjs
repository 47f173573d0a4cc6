// session_community_create latency against the raw worker boot, python and docker, in one run.
// raw    = launcher alone: spawn/create to the worker's own ready line (the same entry script and JVM args).
// create = a session_community_create call over stdio to the built server, until its answer (includes
//          validation, reservation, launch, ready line, a real login, registration).
// Runs alternate raw/create so both see the same machine state. Usage (after npm run build and provisioning):
//   node scripts/bench/create-latency.mjs [runs=5]
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { freePort, rawDhmcpImage, rawPython } from './raw-workers.mjs';
import { offlineImage, provisionedVenv } from '../../dist/util/paths.js';

const runs = Number(process.argv[2] ?? 5);
const HEAP = 1;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-bench-'));
const configFile = path.join(dir, 'deephaven_mcp.json');
writeFileSync(
  configFile,
  JSON.stringify({ community: { session_creation: { defaults: { heap_size_gb: HEAP } } } }),
);

const transport = new StdioClientTransport({
  command: process.execPath,
  args: [path.resolve('dist/cli/systems-server.js')],
  env: { ...process.env, DH_MCP_CONFIG_FILE: configFile, DH_MCP_LOG_LEVEL: 'warn', DH_MCP_DATA_DIR: dir },
  stderr: 'ignore',
});
const client = new Client({ name: 'bench', version: '1' });
await client.connect(transport);

const spec = {
  auth: 'PSK',
  token: 'benchtoken0123456789abcdef012345',
  language: 'python',
  heapSizeGb: HEAP,
  extraJvmArgs: [],
  environment: {},
  labels: { 'dh-mcp.bench': 'true' },
  exitWithOwner: true,
};
const raw = {
  python: async () =>
    rawPython({ ...spec, name: 'bench-raw', venvPath: provisionedVenv(), port: await freePort() }),
  docker: async () =>
    rawDhmcpImage({ ...spec, name: 'bench-raw', image: offlineImage('Python'), volumes: [] }),
};

async function rawBoot(method) {
  const t0 = performance.now();
  const w = await raw[method]();
  try {
    await w.waitUntilReady({ timeoutMs: 180_000 });
    return performance.now() - t0;
  } finally {
    await w.stop();
  }
}

async function create(method, i) {
  const name = `bench-${method}-${i}`;
  const t0 = performance.now();
  const r = await client.callTool(
    { name: 'session_community_create', arguments: { session_name: name, launch_method: method } },
    undefined,
    { timeout: 180_000 },
  );
  const ms = performance.now() - t0;
  if (r.isError) throw new Error(r.content[0].text);
  await client.callTool({ name: 'session_community_delete', arguments: { session_name: name } });
  return ms;
}

const result = {};
for (const method of ['python', 'docker']) {
  const rawMs = [];
  const createMs = [];
  for (let i = 0; i < runs; i++) {
    rawMs.push(await rawBoot(method));
    createMs.push(await create(method, i));
  }
  const r = median(rawMs);
  const c = median(createMs);
  result[method] = {
    raw_boot_ms_median: Math.round(r),
    create_ms_median: Math.round(c),
    overhead_ms: Math.round(c - r),
    ratio: Number((c / r).toFixed(3)),
    bar_ms: Math.round(Math.max(0.05 * r, 300)),
    raw_ms: rawMs.map(Math.round),
    create_ms: createMs.map(Math.round),
  };
}
await client.close();
console.log(JSON.stringify(result, null, 2));
