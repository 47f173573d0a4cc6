// session_table_data side by side with the Python reference (deephaven-mcp 1.1.4) on the same worker and table, in
// one run. Per format and table size: median of N calls for each server, ratio ours/reference, our server's peak
// RSS (VmHWM of a fresh server process per format, absolute and over its warm idle RSS), and what the client
// receives (text + structuredContent). Also: characters per 1,000 rows per format, and the default-cap case (ours
// at DH_MCP_MAX_RESPONSE_CHARS 200,000 with max_rows null; the reference asked for the rows we returned). Every
// table is read once in full before anything is timed (a cold worker's first read is slow). --cpu-prof DIR writes
// a CPU profile of each of our server processes.
//
// The reference is installed into a bench venv (pip install deephaven-mcp==1.1.4) under the cache dir; it reads
// the same worker as a static session (its session_creation.defaults.python_venv_path points at our provisioned
// deephaven-server venv). Its 50 MB response guard (rows x cols x 50 bytes) is lifted in its own process for the
// 1M-row table only, as ours is (DH_MCP_MAX_RESPONSE_CHARS), so both produce the full answer.
//
// Usage: npm run bench:table-data [-- --sizes 100000,1000000 --runs 3 --formats csv,xml --skip-reference
//        --server <other checkout>/dist/cli/systems-server.js --cpu-prof <dir>]
import { Buffer } from 'node:buffer';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ReadBuffer, deserializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import { tableBenchWorker } from './raw-workers.mjs';
import { ensureReference, referenceCommand } from './reference.mjs';
import { provisionedVenv } from '../../dist/util/paths.js';

const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000' },
    runs: { type: 'string', default: '3' },
    formats: { type: 'string', default: 'csv,json-row,json-column,markdown-table,markdown-kv,yaml,xml' },
    'skip-reference': { type: 'boolean', default: false },
    // Writes a V8 CPU profile of our server (one per server process) into this directory.
    'cpu-prof': { type: 'string' },
    // Another build of our server to measure (dist/cli/systems-server.js of a checkout), e.g. for before/after.
    server: { type: 'string', default: 'dist/cli/systems-server.js' },
  },
});
const SIZES = opts.sizes.split(',').map(Number);
const RUNS = Number(opts.runs);
const FORMATS = opts.formats.split(',');
if (!opts['skip-reference']) ensureReference();

const { worker, port } = await tableBenchWorker('bench-data');
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
      path.resolve(opts.server),
    ],
    {
      DH_MCP_LOG_LEVEL: process.env.BENCH_DEBUG ? 'debug' : 'warn',
      ...env,
    },
  );
const reference = (liftGuard) =>
  connect(
    ...referenceCommand(
      liftGuard
        ? 'import deephaven_mcp.mcp_systems_server._tools.table as t; t.ESTIMATED_BYTES_PER_CELL = 0\n'
        : '',
    ),
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

/**
 * One row of the table: both servers read the same rows of one table in one format, each a fresh process, both
 * warmed by a one-row read first so the reads alone are timed, their calls alternating (ours, the reference's,
 * ours, ...) so both meet the worker in the same state. `ourArgs` sets our call's max_rows, `refArgs(rows we
 * returned)` the reference's; `ourEnv` sets our size cap.
 */
async function measure({ label, table, format, ourArgs, refArgs, ourEnv }) {
  const base = { session_id: SESSION, table_name: table, format };
  const o = await ours(ourEnv);
  await call(o.client, 'session_table_data', { ...base, format: 'csv', max_rows: 1 });
  const warmRss = procKb(o.pid, 'VmRSS');
  // Our first read tells how many rows the reference is asked for (the default-cap case).
  const first = await call(o.client, 'session_table_data', { ...base, ...ourArgs });
  const refCall = { ...base, ...refArgs(first.body.row_count) };
  let ref;
  // The reference's yaml is PyYAML in pure Python: over a minute at 100,000 rows, most of an hour at 1,000,000.
  const refSkipped = format === 'yaml' && refCall.max_rows > 100_000;
  if (refSkipped)
    console.error(`reference not run for yaml at ${refCall.max_rows} rows (PyYAML takes too long)`);
  const ourRuns = [first.ms];
  const refRuns = [];
  let last = first;
  let refLast;
  try {
    if (!opts['skip-reference'] && !refSkipped) {
      ref = await reference(refCall.max_rows * 5 > 1_000_000);
      await call(ref.client, 'session_table_data', { ...base, format: 'csv', max_rows: 1 });
    }
    for (let k = 0; k < RUNS; k++) {
      if (ref) {
        refLast = await call(ref.client, 'session_table_data', refCall);
        refRuns.push(refLast.ms);
      }
      if (k < RUNS - 1) {
        last = await call(o.client, 'session_table_data', { ...base, ...ourArgs });
        ourRuns.push(last.ms);
      }
    }
  } catch (e) {
    console.error(`failed on ${format} (${label}): ${e.message}`);
  } finally {
    await ref?.client.close();
  }
  const peak = hwm(o.pid);
  await o.client.close();
  const refMs = refRuns.length === RUNS ? median(refRuns) : undefined;
  const ourMs = median(ourRuns);
  const response = last.received / 1048576;
  const row = {
    label,
    format,
    rows: last.body.row_count,
    ours_ms: Math.round(ourMs),
    reference_ms: refMs === undefined ? undefined : Math.round(refMs),
    ratio: refMs === undefined ? undefined : Number((ourMs / refMs).toFixed(2)),
    our_peak_rss_mb: Math.round(peak),
    our_warm_rss_mb: Math.round(warmRss),
    our_rss_delta_mb: Math.round(peak - warmRss),
    rss_over_response: Number((peak / response).toFixed(2)),
    growth_over_response: Number(((peak - warmRss) / response).toFixed(2)),
    our_text_chars: last.textChars,
    our_structured_chars: last.structuredChars,
    reference_text_chars: refLast?.textChars,
    reference_structured_chars: refLast?.structuredChars,
    our_chars_per_1000_rows: Math.round((last.received / last.body.row_count) * 1000),
    reference_chars_per_1000_rows: refLast && Math.round((refLast.received / refLast.body.row_count) * 1000),
  };
  console.error(JSON.stringify(row));
  return row;
}

const rows = [];
for (const size of SIZES)
  for (const format of FORMATS)
    rows.push(
      await measure({
        label: String(size),
        table: `bench_${size}`,
        format,
        ourArgs: { max_rows: size },
        refArgs: () => ({ max_rows: size }),
        ourEnv: { DH_MCP_MAX_RESPONSE_CHARS: '2000000000' }, // the size cap lifted
      }),
    );
// The default cap (DH_MCP_MAX_RESPONSE_CHARS 200,000): what an assistant gets from max_rows=null on a big table.
// The reference has no character cap: it is asked for the rows we returned.
for (const format of FORMATS)
  rows.push(
    await measure({
      label: 'default cap',
      table: `bench_${SIZES[0]}`,
      format,
      ourArgs: { max_rows: null },
      refArgs: (n) => ({ max_rows: n }),
      ourEnv: {},
    }),
  );
await worker.stop();

const fmt = (v) => (v === undefined ? '-' : String(v));
const mb = (chars) => (chars === undefined ? '-' : (chars / 1e6).toFixed(2));
console.log(
  `session_table_data, median of ${RUNS} calls per server, both servers on one worker, one fresh process per ` +
    'row. RSS of our server: peak (VmHWM) and peak minus its RSS when warm and idle; response: millions of ' +
    'characters the client received, text + structuredContent.',
);
console.log(
  '| case | format | rows | ours ms | reference ms | ours/ref | our peak RSS MB | RSS delta MB | peak/response (delta/response) | our Mchars text + structured | ref Mchars text + structured | our chars/1k rows | ref chars/1k rows |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(
    `| ${r.label} | ${r.format} | ${r.rows} | ${r.ours_ms} | ${fmt(r.reference_ms)} | ${fmt(r.ratio)} | ${r.our_peak_rss_mb} | ${r.our_rss_delta_mb} | ${r.rss_over_response} (${r.growth_over_response}) | ${mb(r.our_text_chars)} + ${mb(r.our_structured_chars)} | ${mb(r.reference_text_chars)} + ${mb(r.reference_structured_chars)} | ${r.our_chars_per_1000_rows} | ${fmt(r.reference_chars_per_1000_rows)} |`,
  );
