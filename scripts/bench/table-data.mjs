// session_table_data on 100k rows x 5 columns, per format: wall time and the server's peak RSS (VmHWM), each
// format in a fresh server process. Baseline in the same run: the bare JS API snapshot of the same rows (no
// mapping, no formatting) in a fresh process. A final row shows the default size cap at work.
// Usage (after npm run build and provisioning): node scripts/bench/table-data.mjs [rows=100000]
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { launchPython } from '../../dist/creation/launchers/python-launcher.js';
import { freePort } from '../../dist/creation/ports.js';
import { provisionedVenv } from '../../dist/util/paths.js';

const ROWS = Number(process.argv[2] ?? 100_000);
const FORMATS = ['json-row', 'json-column', 'csv', 'markdown-table', 'markdown-kv', 'yaml', 'xml'];
const port = await freePort();
const worker = await launchPython({
  name: 'bench-data',
  auth: 'ANONYMOUS',
  language: 'python',
  heapSizeGb: 2,
  extraJvmArgs: [],
  environment: {},
  labels: {},
  exitWithOwner: true,
  venvPath: provisionedVenv(),
  port,
});
await worker.waitUntilReady({ timeoutMs: 120_000 });
const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-bench-data-'));
const configFile = path.join(dir, 'deephaven_mcp.json');
writeFileSync(
  configFile,
  JSON.stringify({ community: { sessions: { w: { host: '127.0.0.1', port, auth_type: 'Anonymous' } } } }),
);
const hwm = (pid) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

async function server(env = {}) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.resolve('dist/cli/systems-server.js')],
    env: {
      ...process.env,
      DH_MCP_CONFIG_FILE: configFile,
      DH_MCP_LOG_LEVEL: process.env.BENCH_DEBUG ? 'debug' : 'warn',
      DH_MCP_DATA_DIR: dir,
      ...env,
    },
    stderr: process.env.BENCH_DEBUG ? 'inherit' : 'ignore',
    maxBufferSize: 512 * 1024 * 1024, // the SDK client stops at 10 MB; this bench measures uncapped answers
  });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  return { client, pid: transport.pid };
}
const call = async (client, name, args) => {
  const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 600_000 });
  const body = JSON.parse(r.content[0].text);
  if (!body.success) throw new Error(body.error);
  return body;
};

{
  const { client } = await server();
  await call(client, 'session_script_run', {
    session_id: 'community:config:w',
    script: `from deephaven import empty_table\nbench = empty_table(${ROWS}).update(["I = i", "L = ii * 1000", "D = i / 7.0", "S = \`name-\` + i", "T = '2024-01-01T00:00:00Z' + i * SECOND"])`,
  });
  await client.close();
}

// Baseline: the bare snapshot through the JS API, no mapping or formatting, in its own process.
const baselineScript = `
import { connectWorker } from '${path.resolve('dist/deephaven/worker-connection.js')}';
import { readFileSync } from 'node:fs';
const c = await connectWorker({ url: 'http://127.0.0.1:${port}', auth: 'ANONYMOUS', timeoutMs: 30000 });
const t0 = performance.now();
const t = await c.ide.getTable('bench');
let n = 0;
for (let first = 0; first < t.size; first += 10000) {
  const s = await t.createSnapshot({ columns: t.columns, rows: { first, last: Math.min(first + 10000, t.size) - 1 } });
  for (const r of s.rows) for (const col of t.columns) { r.get(col); n++; }
}
const ms = performance.now() - t0;
const hwm = Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
console.log(JSON.stringify({ ms, hwm, cells: n }));
t.close(); await c.close(); process.exit(0);
`;
const base = JSON.parse(
  spawnSync(process.execPath, ['--input-type=module', '-e', baselineScript], {
    encoding: 'utf8',
    env: { ...process.env, DH_MCP_LOG_LEVEL: 'error' },
  })
    .stdout.trim()
    .split('\n')
    .pop(),
);

const results = {
  rows: ROWS,
  columns: 5,
  baseline_snapshot: { ms: Math.round(base.ms), peak_rss_mb: Math.round(base.hwm) },
  formats: {},
};
for (const format of FORMATS) {
  const { client, pid } = await server({ DH_MCP_MAX_RESPONSE_CHARS: '1000000000' });
  await call(client, 'session_tables_list', { session_id: 'community:config:w' }); // connect first: time the read alone
  const rssBefore = hwm(pid);
  const t0 = performance.now();
  const r = await call(client, 'session_table_data', {
    session_id: 'community:config:w',
    table_name: 'bench',
    max_rows: null,
    format,
  });
  const ms = performance.now() - t0;
  const size = typeof r.data === 'string' ? r.data.length : JSON.stringify(r.data).length;
  results.formats[format] = {
    ms: Math.round(ms),
    time_ratio_vs_snapshot: Number((ms / base.ms).toFixed(2)),
    peak_rss_mb: Math.round(hwm(pid)),
    rss_before_mb: Math.round(rssBefore),
    rows: r.row_count,
    output_mb: Number((size / 1e6).toFixed(1)),
  };
  await client.close();
}
{
  const { client, pid } = await server();
  const t0 = performance.now();
  const r = await call(client, 'session_table_data', {
    session_id: 'community:config:w',
    table_name: 'bench',
    max_rows: null,
    format: 'json-row',
  });
  results.default_cap_json_row = {
    ms: Math.round(performance.now() - t0),
    rows: r.row_count,
    is_complete: r.is_complete,
    peak_rss_mb: Math.round(hwm(pid)),
  };
  await client.close();
}
await worker.stop();
console.log(JSON.stringify(results, null, 2));
