// Worker boot time to the worker's own ready line, venv and docker, median of N runs each.
// Usage: node scripts/bench/worker-boot.mjs [runs=3]   (after npm run build and scripts/provision.sh)
import { freePort, rawDhmcpImage, rawPython } from './raw-workers.mjs';
import { offlineImage, provisionedVenv } from '../../dist/util/paths.js';

const runs = Number(process.argv[2] ?? 3);
const base = {
  auth: 'PSK',
  token: 'benchtoken0123456789',
  language: 'python',
  heapSizeGb: 1,
  extraJvmArgs: [],
  environment: {},
  labels: { 'dh-mcp.bench': 'true' },
  exitWithOwner: true,
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(launch) {
  const t0 = performance.now();
  const w = await launch();
  try {
    await w.waitUntilReady({ timeoutMs: 180_000 });
    const ready = performance.now() - t0;
    const s0 = performance.now();
    await w.stop();
    return { ready, stop: performance.now() - s0 };
  } catch (e) {
    await w.stop();
    throw e;
  }
}

const result = {};
for (const [method, launch] of [
  [
    'python',
    async () => rawPython({ ...base, name: 'bench', venvPath: provisionedVenv(), port: await freePort() }),
  ],
  [
    'docker',
    async () => rawDhmcpImage({ ...base, name: 'bench', image: offlineImage('Python'), volumes: [] }),
  ],
]) {
  const r = [];
  for (let i = 0; i < runs; i++) r.push(await time(launch));
  result[method] = {
    boot_ms_median: Math.round(median(r.map((x) => x.ready))),
    stop_ms_median: Math.round(median(r.map((x) => x.stop))),
    runs,
  };
}
console.log(JSON.stringify(result));
