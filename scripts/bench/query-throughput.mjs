// Query throughput of a venv worker with and without our start-up settings (the class-data sharing archive), to
// show they cost nothing once the worker runs. A few table operations on 10M rows, each timed inside the worker
// (time.perf_counter around the call; static tables compute eagerly), several rounds per worker, workers of both
// settings alternating. Prints the median per operation and setting, the first round (formula compilation, cold
// JIT) apart from the rest. It stops with an error when a "with CDS" worker did not map the archive.
//
// Usage (after npm run build and scripts/provision-python.sh):
//   node scripts/bench/query-throughput.mjs [--rows 10000000] [--rounds 5] [--workers 2] [--heap 4]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, rawPython } from './raw-workers.mjs';
import { connectWorker } from '../../dist/deephaven/worker-connection.js';
import { runScript } from '../../dist/deephaven/script-runner.js';
import { provisionedVenv } from '../../dist/util/paths.js';

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    rounds: { type: 'string', default: '5' },
    workers: { type: 'string', default: '2' },
    heap: { type: 'string', default: '4' },
  },
});
const ROWS = Number(opts.rows);
const ROUNDS = Number(opts.rounds);
const WORKERS = Number(opts.workers);
const HEAP = Number(opts.heap);
const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-bench-query-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const OPS = ['update', 'where', 'sort', 'sum_by', 'agg_by', 'natural_join'];
const script = (out, round) => `
import json, time
from deephaven import empty_table, agg
def _bench():
    r = {}
    def timed(name, f):
        t0 = time.perf_counter(); v = f(); r[name] = (time.perf_counter() - t0) * 1000; return v
    t = timed('update', lambda: empty_table(${ROWS}).update(['A = i % 1000', 'B = i * 1.5', 'C = (long) i * 7', 'S = (i % 7 == 0) ? \`x\` : \`y\`']))
    timed('where', lambda: t.where(['A < 100', 'B > 1000.0']).size)
    timed('sort', lambda: t.sort_descending(['B']).size)
    timed('sum_by', lambda: t.view(['A', 'B', 'C']).sum_by(['A']).size)
    timed('agg_by', lambda: t.agg_by([agg.avg(['AvgB = B']), agg.max_(['MaxC = C']), agg.count_('N')], by=['S', 'A']).size)
    keys = empty_table(1000).update(['A = i', 'K = i * 3'])
    timed('natural_join', lambda: t.natural_join(keys, on=['A'], joins=['K']).size)
    with open(${JSON.stringify(out)} + '.${round}', 'w') as f:
        json.dump(r, f)
_bench()
del _bench
`;

async function measure(setting, w) {
  const port = await freePort();
  // The python driver reads DH_MCP_CDS when it launches: off means no archive for this worker.
  const saved = process.env.DH_MCP_CDS;
  process.env.DH_MCP_CDS = setting === 'cds' ? (saved ?? '') : 'off';
  const worker = await rawPython({
    name: `bench-query-${setting}-${w}`,
    auth: 'ANONYMOUS',
    language: 'python',
    heapSizeGb: HEAP,
    extraJvmArgs: [],
    environment: {},
    exitWithOwner: true,
    venvPath: provisionedVenv(),
    port,
  });
  if (saved === undefined) delete process.env.DH_MCP_CDS;
  else process.env.DH_MCP_CDS = saved;
  try {
    const ready = await worker.waitUntilReady({ timeoutMs: 300_000 });
    // The worker reports the sharing its JVM ended up with; a CDS figure from a worker that did not map our
    // archive (none provisioned for this venv and JVM, or rejected) would compare no CDS with no CDS.
    if (setting === 'cds' && ready.classDataSharing !== 'archive')
      throw new Error(
        `the "with CDS" worker did not map the class-data sharing archive (it reports ${ready.classDataSharing ?? 'nothing'}); ` +
          'run scripts/provision-python.sh to build the archive for this venv and JVM',
      );
    if (setting === 'nocds' && ready.classDataSharing === 'archive')
      throw new Error('the "no CDS" worker mapped the archive although DH_MCP_CDS=off');
    const conn = await connectWorker({
      url: `http://127.0.0.1:${port}`,
      auth: 'ANONYMOUS',
      timeoutMs: 120_000,
    });
    const out = path.join(dir, `${setting}-${w}.json`);
    const rounds = [];
    try {
      for (let i = 0; i < ROUNDS; i++) {
        const r = await runScript(conn, script(out, i), 600_000);
        if (r.error) throw new Error(`the benchmark script failed: ${r.error}`);
        rounds.push(JSON.parse(readFileSync(`${out}.${i}`, 'utf8')));
      }
    } finally {
      await conn.close();
    }
    console.error(
      `${setting} worker ${w + 1}: class-data sharing ${ready.classDataSharing}, ${ROUNDS} rounds`,
    );
    return { sharing: ready.classDataSharing, rounds };
  } finally {
    await worker.stop();
  }
}

const results = { nocds: [], cds: [] };
for (let w = 0; w < WORKERS; w++) for (const s of ['nocds', 'cds']) results[s].push(await measure(s, w));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rows = [
  '| operation | no CDS: first round ms | CDS: first round ms | no CDS: later rounds median ms | CDS: later rounds median ms | CDS / no CDS (later) |',
  '|---|---|---|---|---|---|',
];
let totalOff = 0;
let totalOn = 0;
for (const op of OPS) {
  const first = (s) => median(results[s].map((x) => x.rounds[0][op]));
  const later = (s) => median(results[s].flatMap((x) => x.rounds.slice(1).map((r) => r[op])));
  const off = later('nocds');
  const on = later('cds');
  totalOff += off;
  totalOn += on;
  rows.push(
    `| ${op} | ${first('nocds').toFixed(0)} | ${first('cds').toFixed(0)} | ${off.toFixed(0)} | ${on.toFixed(0)} | ${(on / off).toFixed(3)} |`,
  );
}
rows.push(
  `| **sum** | | | ${totalOff.toFixed(0)} | ${totalOn.toFixed(0)} | ${(totalOn / totalOff).toFixed(3)} |`,
);
console.log(rows.join('\n'));
console.log(
  `\n${ROWS} rows, ${WORKERS} workers x ${ROUNDS} rounds per setting, heap ${HEAP} GB, sharing: ${JSON.stringify(
    Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.map((x) => x.sharing)])),
  )}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`,
);
