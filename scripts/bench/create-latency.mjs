// How long an assistant waits for a worker, python launch on the provisioned deephaven-server venv, in one run:
//   raw        the pip package's own `deephaven server` CLI, spawned until it prints "Server started on port"
//   cold       our session_community_create over stdio, class-data sharing off (DH_MCP_CDS=off), until the answer
//   cds        the same with the class-data sharing archive scripts/provision-python.sh made (launchers/dh_cds.py)
//   pooled     the same with community.session_creation.warm_pool (claim only: timed once the pool is full;
//              scripts/bench/pooled-create.mjs)
//   reference  deephaven-mcp's session_community_create (pip install deephaven-mcp==1.1.4), python launch on our venv
// Every create is followed by a delete (not timed). raw/cold/cds/reference alternate within each round so all see
// the same machine state; pooled runs last, on its own (a refilling pool would slow the others down).
// p50 and p95 (nearest rank) per line, with ratios to the reference and to the raw boot.
//
// Usage (after npm run build and scripts/provision-python.sh):
//   npm run bench:create-latency -- [--runs 5] [--heap 1] [--skip-reference] [--skip-pool] [--lines raw,cds]
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startPooledServer } from './pooled-create.mjs';
import { freePort } from './raw-workers.mjs';
import { ensureReference, referenceCommand, REFERENCE_VERSION } from './reference.mjs';
import { cdsArchiveDirs, provisionedVenv, venvPython } from '../../dist/util/paths.js';
import { CDS_SCRIPT } from '../../dist/setup/cds.js';
import { findJavaHome } from '../../dist/workers/drivers/python/launch.js';

const ALL_LINES = ['raw', 'cold', 'cds', 'pooled', 'reference'];
const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    heap: { type: 'string', default: '1' },
    lines: { type: 'string', default: ALL_LINES.join(',') },
    'skip-reference': { type: 'boolean', default: false },
    'skip-pool': { type: 'boolean', default: false },
  },
});
const RUNS = Number(opts.runs);
const HEAP = Number(opts.heap);
const lines = new Set(
  opts.lines
    .split(',')
    .filter((l) => !(opts['skip-reference'] && l === 'reference') && !(opts['skip-pool'] && l === 'pooled')),
);
for (const l of lines)
  if (!ALL_LINES.includes(l)) throw new Error(`--lines: unknown line '${l}' (${ALL_LINES})`);
if (!(RUNS >= 1)) throw new Error('--runs must be 1 or more');
const venv = provisionedVenv();
const javaHome = findJavaHome();
if (!javaHome) throw new Error('no JDK found (set JAVA_HOME)');
const skipped = {};

// The bench's own scratch: data dirs of the servers, TMPDIR of everything it starts.
const root = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-bench-create-'));
process.on('exit', () => rmSync(root, { recursive: true, force: true }));
const config = (extra = {}) => {
  const file = path.join(mkdtempSync(path.join(root, 'cfg-')), 'deephaven_mcp.json');
  const defaults = { launch_method: 'python', python_venv_path: venv, heap_size_gb: HEAP };
  writeFileSync(file, JSON.stringify({ community: { session_creation: { defaults, ...extra } } }));
  return file;
};

if (lines.has('cds')) {
  const dirs = cdsArchiveDirs().join(path.delimiter);
  try {
    const archive = execFileSync(venvPython(venv), [CDS_SCRIPT, 'find', dirs], {
      env: { ...process.env, JAVA_HOME: javaHome },
      encoding: 'utf8',
    }).trim();
    console.error(`class-data sharing archive: ${archive}`);
  } catch {
    throw new Error(
      `no class-data sharing archive for ${venv} in ${dirs}: make it with scripts/provision-python.sh`,
    );
  }
}
if (lines.has('reference')) ensureReference();

// --- raw: the `deephaven server` CLI of the venv -------------------------------------------------------------
async function rawBoot() {
  const home = mkdtempSync(path.join(root, 'raw-'));
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(
    path.join(venv, 'bin', 'deephaven'),
    ['server', '--no-browser', '--host', '127.0.0.1', '--port', String(port), '--jvm-args', `-Xmx${HEAP}g`],
    {
      // stdin stays an open pipe: the CLI exits at once when it reads end-of-file.
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        JAVA_HOME: javaHome,
        PYTHONUNBUFFERED: '1',
        DEEPHAVEN_DATA_DIR: path.join(home, 'data'),
        DEEPHAVEN_CACHE_DIR: path.join(home, 'cache'),
        DEEPHAVEN_CONFIG_DIR: path.join(home, 'config'),
      },
    },
  );
  const exited = new Promise((r) => child.once('exit', r));
  try {
    return await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`deephaven server not ready in 300 s:\n${out.slice(-2000)}`)),
        300_000,
      );
      const onData = (d) => {
        out += d;
        if (/Server started on port \d+/.test(out)) {
          clearTimeout(timer);
          resolve(performance.now() - t0);
        }
      };
      child.stdout.setEncoding('utf8').on('data', onData);
      child.stderr.setEncoding('utf8').on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`deephaven server exited (${code}) before it was ready:\n${out.slice(-2000)}`));
      });
    });
  } finally {
    child.kill('SIGINT'); // the CLI's own clean stop (KeyboardInterrupt)
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
    rmSync(home, { recursive: true, force: true });
  }
}

// --- MCP servers --------------------------------------------------------------------------------------------
async function connect(command, args, env) {
  const dataDir = mkdtempSync(path.join(root, 'data-'));
  const transport = new StdioClientTransport({
    command,
    args,
    env: {
      ...process.env,
      DH_MCP_DATA_DIR: dataDir,
      DH_MCP_LOG_LEVEL: 'warn',
      PYTHONLOGLEVEL: 'WARNING',
      ...env,
    },
    stderr: process.env.BENCH_DEBUG ? 'inherit' : 'ignore',
  });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  return client;
}
const ours = (env, extraConfig) =>
  connect(process.execPath, [path.resolve('dist/cli/systems-server.js')], {
    DH_MCP_CONFIG_FILE: config(extraConfig),
    ...env,
  });

async function call(client, name, args) {
  const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 600_000 });
  const text = r.content?.[0]?.text ?? '';
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (r.isError || body?.success === false) throw new Error(`${name}: ${body?.error ?? text}`);
  return body ?? {};
}

let seq = 0;
async function createDelete(client) {
  const name = `bench-${process.pid}-${seq++}`;
  const t0 = performance.now();
  await call(client, 'session_community_create', { session_name: name, launch_method: 'python' });
  const ms = performance.now() - t0;
  await call(client, 'session_community_delete', { session_name: name });
  return ms;
}

// --- the run ------------------------------------------------------------------------------------------------
const ms = Object.fromEntries(ALL_LINES.map((l) => [l, []]));
const clients = {};
if (lines.has('cold')) clients.cold = await ours({ DH_MCP_CDS: 'off' });
if (lines.has('cds')) clients.cds = await ours({});
if (lines.has('reference'))
  clients.reference = await connect(...referenceCommand(), { DH_MCP_CONFIG_FILE: config() });

for (let i = 0; i < RUNS; i++) {
  if (lines.has('raw')) ms.raw.push(await rawBoot());
  for (const l of ['cold', 'cds', 'reference']) if (clients[l]) ms[l].push(await createDelete(clients[l]));
  console.error(
    `round ${i + 1}/${RUNS}: ${ALL_LINES.filter((l) => ms[l][i] !== undefined)
      .map((l) => `${l} ${Math.round(ms[l][i])} ms`)
      .join(', ')}`,
  );
}
for (const c of Object.values(clients)) await c.close();

if (lines.has('pooled')) {
  // The pool helper's server (scripts/bench/pooled-create.mjs): waits on its "warm pool full" line, untimed.
  let server;
  try {
    server = await startPooledServer({
      defaults: { launch_method: 'python', python_venv_path: venv, heap_size_gb: HEAP },
    });
  } catch (e) {
    skipped.pooled = `the server refused community.session_creation.warm_pool: ${e.message}`;
  }
  if (server) {
    try {
      for (let i = 0; i < RUNS; i++) {
        await server.waitFull();
        const r = await server.create(`bench-pool-${process.pid}-${i}`, { launch_method: 'python' });
        if (!r.fromPool) throw new Error(`run ${i + 1} was not served from the pool`);
        ms.pooled.push(r.ms);
        console.error(`pooled ${i + 1}/${RUNS}: ${Math.round(r.ms)} ms`);
        await server.remove(`bench-pool-${process.pid}-${i}`);
      }
    } catch (e) {
      skipped.pooled = `pooled create failed: ${e.message}`;
      ms.pooled = [];
    } finally {
      await server.close();
    }
  }
}

// --- the table ----------------------------------------------------------------------------------------------
const rank = (xs, q) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(q * xs.length) - 1)];
const label = {
  raw: '`deephaven server` CLI boot',
  cold: 'ours, cold (no CDS)',
  cds: 'ours, with CDS',
  pooled: 'ours, pooled (claim)',
  reference: `reference ${REFERENCE_VERSION}`,
};
const p50 = Object.fromEntries(ALL_LINES.filter((l) => ms[l].length).map((l) => [l, rank(ms[l], 0.5)]));
const ratio = (a, b) => (a !== undefined && b !== undefined ? (a / b).toFixed(3) : '-');
const rows = [
  '| line | n | p50 ms | p95 ms | p50 / reference | p50 / raw boot |',
  '|---|---|---|---|---|---|',
];
for (const l of ALL_LINES) {
  if (!lines.has(l)) continue;
  if (!ms[l].length) {
    rows.push(`| ${label[l]} | 0 | skipped: ${skipped[l] ?? 'not run'} | | | |`);
    continue;
  }
  rows.push(
    `| ${label[l]} | ${ms[l].length} | ${Math.round(p50[l])} | ${Math.round(rank(ms[l], 0.95))} | ${ratio(p50[l], p50.reference)} | ${ratio(p50[l], p50.raw)} |`,
  );
}
console.log(rows.join('\n'));
if (p50.cds !== undefined && p50.raw !== undefined)
  console.log(`\nours with CDS vs the raw boot (p50): ${((1 - p50.cds / p50.raw) * 100).toFixed(1)}% faster`);
if (p50.pooled !== undefined && p50.reference !== undefined)
  console.log(`pooled vs the reference (p50): ${(p50.reference / p50.pooled).toFixed(1)}x faster`);
console.log(
  `\n${RUNS} runs per line, heap ${HEAP} GB, venv ${venv}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; all ms: ${JSON.stringify(
    Object.fromEntries(
      Object.entries(ms)
        .filter(([, v]) => v.length)
        .map(([k, v]) => [k, v.map(Math.round)]),
    ),
  )}`,
);
if (existsSync(root)) rmSync(root, { recursive: true, force: true });
