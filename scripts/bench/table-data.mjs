// session_table_data side by side with the Python reference (deephaven-mcp 1.1.4) on the same worker and table, in
// one run. Per format and table size: median of N calls for each server, ratio ours/reference, our server's peak
// RSS (VmHWM of a fresh server process per format), and what the client receives (text + structuredContent).
// Also: characters per 1,000 rows per format, and the default-cap case.
//
// The reference is installed into a bench venv (pip install deephaven-mcp==1.1.4) under the cache dir; it reads
// the same worker as a static session (its session_creation.defaults.python_venv_path points at our provisioned
// deephaven-server venv). Its 50 MB response guard (rows x cols x 50 bytes) is lifted in its own process for the
// 1M-row table only, as ours is (DH_MCP_MAX_RESPONSE_CHARS), so both produce the full answer.
//
// Usage: npm run bench:table-data [-- --sizes 100000,1000000 --runs 3 --formats csv,xml]
import { Buffer } from 'node:buffer';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ReadBuffer, deserializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import { freePort, rawPython } from './raw-workers.mjs';
import { provisionedVenv } from '../../dist/util/paths.js';

const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000' },
    runs: { type: 'string', default: '3' },
    formats: { type: 'string', default: 'csv,json-row,json-column,markdown-table,markdown-kv,yaml,xml' },
    'skip-reference': { type: 'boolean', default: false },
    // Writes a V8 CPU profile of our server (one per server process) into this directory.
    'cpu-prof': { type: 'string' },
  },
});
const SIZES = opts.sizes.split(',').map(Number);
const RUNS = Number(opts.runs);
const FORMATS = opts.formats.split(',');
const REFERENCE_VERSION = '1.1.4';

const cacheDir = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'dh-mcp');
const benchVenv = path.join(cacheDir, 'bench-venv');
const benchPython = path.join(benchVenv, 'bin', 'python');

function ensureReference() {
  const installed = () => {
    try {
      return (
        execFileSync(
          benchPython,
          ['-c', 'import importlib.metadata as m; print(m.version("deephaven-mcp"))'],
          {
            encoding: 'utf8',
          },
        ).trim() === REFERENCE_VERSION
      );
    } catch {
      return false;
    }
  };
  if (installed()) return;
  console.error(`installing deephaven-mcp==${REFERENCE_VERSION} into ${benchVenv} ...`);
  if (!existsSync(benchPython)) execFileSync('python3', ['-m', 'venv', benchVenv], { stdio: 'inherit' });
  execFileSync(benchPython, ['-m', 'pip', 'install', '-q', `deephaven-mcp==${REFERENCE_VERSION}`], {
    stdio: 'inherit',
  });
}
if (!opts['skip-reference']) ensureReference();

const port = await freePort();
const worker = await rawPython({
  name: 'bench-data',
  auth: 'ANONYMOUS',
  language: 'python',
  heapSizeGb: 4,
  extraJvmArgs: [],
  environment: {},
  labels: {},
  exitWithOwner: true,
  venvPath: provisionedVenv(),
  port,
});
await worker.waitUntilReady({ timeoutMs: 180_000 });
const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-bench-data-'));
const configFile = path.join(dir, 'deephaven_mcp.json');
writeFileSync(
  configFile,
  JSON.stringify({
    community: {
      sessions: { w: { host: '127.0.0.1', port, auth_type: 'Anonymous' } },
      session_creation: { defaults: { launch_method: 'python', python_venv_path: provisionedVenv() } },
    },
  }),
);
const procKb = (pid, key) =>
  Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const hwm = (pid) => procKb(pid, 'VmHWM');
const SESSION = 'community:config:w';

// The SDK client's stdio ReadBuffer copies its whole buffer on every chunk and rescans it for a newline on every
// read: quadratic in the size of one message (a 100 MB answer spends minutes there). The bench measures the
// servers, so its client reads lines in linear time; every other part of the SDK client is unchanged.
ReadBuffer.prototype.append = function append(chunk) {
  (this._chunks ??= []).push(chunk);
};
ReadBuffer.prototype.readMessage = function readMessage() {
  const chunks = this._chunks ?? [];
  for (let k = this._scanned ?? 0; k < chunks.length; k++) {
    const at = chunks[k].indexOf(10);
    if (at === -1) continue;
    const line = Buffer.concat([...chunks.slice(0, k), chunks[k].subarray(0, at)]);
    const rest = chunks[k].subarray(at + 1);
    this._chunks = rest.length ? [rest, ...chunks.slice(k + 1)] : chunks.slice(k + 1);
    this._scanned = 0;
    return deserializeMessage(line.toString('utf8').replace(/\r$/, ''));
  }
  this._scanned = chunks.length;
  return null;
};
ReadBuffer.prototype.clear = function clear() {
  this._chunks = [];
  this._scanned = 0;
};

async function connect(command, args, env) {
  const transport = new StdioClientTransport({
    command,
    args,
    env: {
      ...process.env,
      DH_MCP_CONFIG_FILE: configFile,
      DH_MCP_DATA_DIR: dir,
      PYTHONLOGLEVEL: 'WARNING',
      ...env,
    },
    stderr: process.env.BENCH_DEBUG ? 'inherit' : 'ignore',
    maxBufferSize: 1536 * 1024 * 1024, // the SDK client stops at 10 MB by default; uncapped answers are larger
  });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  return { client, pid: transport.pid };
}
const ours = (env = {}) =>
  connect(
    process.execPath,
    [
      ...(opts['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(opts['cpu-prof'])] : []),
      path.resolve('dist/cli/systems-server.js'),
    ],
    {
      DH_MCP_LOG_LEVEL: process.env.BENCH_DEBUG ? 'debug' : 'warn',
      ...env,
    },
  );
const reference = (liftGuard) =>
  connect(
    benchPython,
    [
      '-c',
      (liftGuard
        ? 'import deephaven_mcp.mcp_systems_server._tools.table as t; t.ESTIMATED_BYTES_PER_CELL = 0\n'
        : '') +
        'import sys\nfrom deephaven_mcp.mcp_systems_server.main import main\nsys.argv = ["dh-mcp-systems-server"]\nmain()',
    ],
    {},
  );

async function call(client, name, args) {
  const t0 = performance.now();
  const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 1_800_000 });
  const ms = performance.now() - t0;
  const text = r.content[0].text;
  const body = JSON.parse(text);
  if (!body.success) throw new Error(`${name}: ${body.error}`);
  // What the client received: the text block plus structuredContent (when present), in characters.
  const structuredChars = r.structuredContent ? JSON.stringify(r.structuredContent).length : 0;
  return { ms, body, received: text.length + structuredChars, textChars: text.length, structuredChars };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

{
  const { client } = await ours();
  const script = SIZES.map(
    (n) =>
      `bench_${n} = empty_table(${n}).update(["I = i", "D = i / 7.0", "S = \`name-\` + i", "B = i % 2 == 0", "L = ii * 1000"])`,
  ).join('\n');
  await call(client, 'session_script_run', {
    session_id: SESSION,
    script: `from deephaven import empty_table\n${script}`,
  });
  // Warm the worker: the first full read of a table is slow on a cold JVM (seconds at 100,000 rows), and would
  // be charged to whichever server and format came first.
  for (const n of SIZES)
    await call(client, 'session_table_data', {
      session_id: SESSION,
      table_name: `bench_${n}`,
      max_rows: n,
      format: 'csv',
    });
  await client.close();
}

const rows = [];
for (const size of SIZES) {
  const table = `bench_${size}`;
  const args = (format) => ({ session_id: SESSION, table_name: table, max_rows: size, format });
  for (const format of FORMATS) {
    const o = await ours({ DH_MCP_MAX_RESPONSE_CHARS: '2000000000' });
    await call(o.client, 'session_table_data', { ...args('csv'), max_rows: 1 });
    const warmRss = procKb(o.pid, 'VmRSS');
    const ourRuns = [];
    let ourReceived = 0;
    let ourRows = 0;
    let ourText = 0;
    let ourStructured = 0;
    for (let k = 0; k < RUNS; k++) {
      const r = await call(o.client, 'session_table_data', args(format));
      ourRuns.push(r.ms);
      ourReceived = r.received;
      ourText = r.textChars;
      ourStructured = r.structuredChars;
      ourRows = r.body.row_count;
    }
    const peak = hwm(o.pid);
    await o.client.close();
    console.error(
      JSON.stringify({
        rows: size,
        format,
        ours_ms: Math.round(median(ourRuns)),
        peak_rss_mb: Math.round(peak),
      }),
    );
    let refMs;
    let refReceived;
    let refText;
    let refStructured;
    if (!opts['skip-reference']) {
      // A fresh reference process per format, like ours: its session is not kept alive while ours runs.
      const ref = await reference(size * 5 > 1_000_000);
      try {
        // Connect and open the data path first (both servers alike): time the reads alone.
        await call(ref.client, 'session_table_data', { ...args('csv'), max_rows: 1 });
        const refRuns = [];
        for (let k = 0; k < RUNS; k++) {
          const r = await call(ref.client, 'session_table_data', args(format));
          refRuns.push(r.ms);
          refReceived = r.received;
          refText = r.textChars;
          refStructured = r.structuredChars;
        }
        refMs = median(refRuns);
      } catch (e) {
        console.error(`reference failed on ${format} at ${size} rows: ${e.message}`);
      } finally {
        await ref.client.close();
      }
    }
    const ourMs = median(ourRuns);
    const row = {
      rows: size,
      format,
      ours_ms: Math.round(ourMs),
      reference_ms: refMs === undefined ? undefined : Math.round(refMs),
      ratio: refMs === undefined ? undefined : Number((ourMs / refMs).toFixed(2)),
      our_peak_rss_mb: Math.round(peak),
      our_rss_delta_mb: Math.round(peak - warmRss),
      our_text_chars: ourText,
      our_structured_chars: ourStructured,
      reference_text_chars: refText,
      reference_structured_chars: refStructured,
      our_warm_rss_mb: Math.round(warmRss),
      our_received_mb: Number((ourReceived / 1e6).toFixed(1)),
      rss_over_response: Number((peak / (ourReceived / 1048576)).toFixed(2)),
      growth_over_response: Number(((peak - warmRss) / (ourReceived / 1048576)).toFixed(2)),
      reference_received_mb: refReceived === undefined ? undefined : Number((refReceived / 1e6).toFixed(1)),
      our_chars_per_1000_rows: Math.round((ourReceived / ourRows) * 1000),
      reference_chars_per_1000_rows:
        refReceived === undefined ? undefined : Math.round((refReceived / size) * 1000),
    };
    rows.push(row);
    console.error(JSON.stringify(row));
  }
}

// The default cap (200,000 characters): what an assistant gets by default from a big table.
const defaults = [];
{
  const o = await ours();
  await call(o.client, 'session_table_data', {
    session_id: SESSION,
    table_name: `bench_${SIZES[0]}`,
    max_rows: 1,
  });
  for (const format of FORMATS) {
    const r = await call(o.client, 'session_table_data', {
      session_id: SESSION,
      table_name: `bench_${SIZES[0]}`,
      max_rows: null,
      format,
    });
    defaults.push({
      format,
      ms: Math.round(r.ms),
      rows: r.body.row_count,
      is_complete: r.body.is_complete,
      text_chars: r.textChars,
      structured_chars: r.structuredChars,
    });
  }
  await o.client.close();
}
await worker.stop();

const fmt = (v) => (v === undefined ? '-' : String(v));
const mb = (chars) => (chars === undefined ? '-' : (chars / 1e6).toFixed(1));
console.log(
  `session_table_data, ${RUNS} runs (median), both servers on one worker; RSS of our server: peak (VmHWM) and ` +
    'peak minus the warm idle RSS; response in millions of characters, text + structuredContent',
);
console.log(
  '| rows | format | ours ms | reference ms | ours/ref | our peak RSS MB | RSS delta MB | peak/response (delta/response) | our text + structured Mchars | ref text + structured Mchars | our chars/1k rows | ref chars/1k rows |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(
    `| ${r.rows} | ${r.format} | ${r.ours_ms} | ${fmt(r.reference_ms)} | ${fmt(r.ratio)} | ${r.our_peak_rss_mb} | ${r.our_rss_delta_mb} | ${r.rss_over_response} (${r.growth_over_response}) | ${mb(r.our_text_chars)} + ${mb(r.our_structured_chars)} | ${mb(r.reference_text_chars)} + ${mb(r.reference_structured_chars)} | ${r.our_chars_per_1000_rows} | ${fmt(r.reference_chars_per_1000_rows)} |`,
  );
console.log('\nDefault cap (DH_MCP_MAX_RESPONSE_CHARS=200000), max_rows=null, ours only:');
console.log('| format | ms | rows | complete | text chars | structured chars |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const d of defaults)
  console.log(
    `| ${d.format} | ${d.ms} | ${d.rows} | ${d.is_complete} | ${d.text_chars} | ${d.structured_chars} |`,
  );
