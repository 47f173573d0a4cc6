// The fetch alone, with no formatting: our Arrow Flight DoGet (the one session_table_data reads through) against
// pyarrow's (the one the Python reference reads through, via pydeephaven), on one worker and one table, in
// alternating rounds. Per client: median wall time of a whole-table read, the worker's CPU time per read (the
// python process that embeds the JVM) and the client process's own CPU time per read. What is left of a
// session_table_data call once this is taken away is the server's own work (formatting, the answer) and the MCP
// client's parse.
//
// Usage: npm run bench:table-fetch [-- --rows 1000000 --runs 6 --rounds 2]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FlightSession } from '../../dist/deephaven/flight/flight-session.js';
import { queryTable } from '../../dist/deephaven/flight/table-query.js';
import { tableBenchWorker } from './raw-workers.mjs';
import { benchPython, ensureReference } from './reference.mjs';

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '2' },
  },
});
const ROWS = Number(opts.rows);
const RUNS = Number(opts.runs);
ensureReference(); // the bench venv holds pydeephaven and pyarrow (the reference depends on both)

const { worker, port } = await tableBenchWorker('bench-fetch');
/** CPU time of the worker process so far, in ms (utime + stime, in clock ticks of 10 ms). */
const workerCpu = () => {
  const f = readFileSync(`/proc/${worker.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};

// One line of JSON per read: wall ms, the worker's and the client's CPU ms, and the rows read.
const PY = `
import json, sys, time
from pydeephaven import Session
port, rows, runs, pid, make = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
def cpu():
    f = open(f"/proc/{pid}/stat").read().split(") ")[1].split(" ")
    return (int(f[11]) + int(f[12])) * 10
s = Session(host="127.0.0.1", port=port, auth_type="Anonymous")
if make:
    s.run_script(f'from deephaven import empty_table\\nt = empty_table({rows}).update(["I = i", "D = i / 7.0", "S = \`name-\` + i", "B = i % 2 == 0", "L = ii * 1000"])')
for _ in range(runs):
    c0 = cpu(); p0 = time.process_time(); t0 = time.perf_counter()
    table = s.open_table("t").to_arrow()
    print(json.dumps({"ms": 1000 * (time.perf_counter() - t0), "workerCpu": cpu() - c0, "clientCpu": 1000 * (time.process_time() - p0), "rows": table.num_rows}), flush=True)
s.close()
`;
const pyarrowReads = (runs, make) =>
  execFileSync(
    benchPython,
    ['-c', PY, String(port), String(ROWS), String(runs), String(worker.pid), make ? '1' : '0'],
    {
      encoding: 'utf8',
    },
  )
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

// The table is made by the first pyarrow round; one read each first, untimed (a cold worker's first read is slow).
pyarrowReads(1, true);
const flight = new FlightSession({ address: `127.0.0.1:${port}`, useTls: false, auth: 'ANONYMOUS' });
async function ourRead() {
  const c0 = workerCpu();
  const p0 = process.cpuUsage();
  const t0 = performance.now();
  const read = await queryTable(
    flight,
    { table: 't', maxRows: ROWS, head: true, offset: 0, timeoutMs: 120_000 },
    async () => undefined,
  );
  let rows = 0;
  for (;;) {
    const next = await read.batches.next();
    if (next.done) break;
    rows += next.value.numRows;
  }
  const ms = performance.now() - t0;
  const p = process.cpuUsage(p0);
  await read.close();
  return { ms, workerCpu: workerCpu() - c0, clientCpu: (p.user + p.system) / 1000, rows };
}
await ourRead();

const results = { ours: [], pyarrow: [] };
for (let round = 0; round < Number(opts.rounds); round++) {
  for (let r = 0; r < RUNS; r++) results.ours.push(await ourRead());
  results.pyarrow.push(...pyarrowReads(RUNS, false));
}
await flight.close();
await worker.stop();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`DoGet of a ${ROWS} x 5 table, whole, no formatting; ${RUNS} x ${opts.rounds} reads per client`);
console.log('| client | median ms | min ms | worker CPU ms per read (median) | client CPU ms per read (median) | rows |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [who, rs] of Object.entries(results)) {
  const ms = rs.map((r) => r.ms);
  console.log(
    `| ${who === 'ours' ? 'dh-mcp (grpc-js + apache-arrow)' : 'reference (pydeephaven + pyarrow)'} | ${median(ms).toFixed(0)} | ${Math.min(...ms).toFixed(0)} | ${median(rs.map((r) => r.workerCpu))} | ${median(rs.map((r) => r.clientCpu)).toFixed(0)} | ${rs[0].rows} |`,
  );
}
process.exit(0);
