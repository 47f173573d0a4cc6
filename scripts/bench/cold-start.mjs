// Server cold start to a tools/list answer over stdio, median of N runs, against a baseline measured in the
// same run: a bare `node` process answering one line on stdin (the floor any Node server pays).
// Usage: node scripts/bench/cold-start.mjs [runs=15]   (after npm run build)
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const runs = Number(process.argv[2] ?? 15);
const init = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
};
const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };

function once(args, lines, doneWhen) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(process.execPath, args, {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, DH_MCP_LOG_LEVEL: 'error' },
      cwd: root,
    });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (doneWhen(out)) {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        p.stdin.end();
        p.kill();
        resolve(ms);
      }
    });
    p.on('error', reject);
    for (const l of lines) p.stdin.write(`${JSON.stringify(l)}\n`);
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const server = [],
  baseline = [];
for (let i = 0; i < runs; i++) {
  baseline.push(
    await once(['-e', "process.stdin.once('data', () => process.stdout.write('{}\\n'))"], [{}], (o) =>
      o.includes('\n'),
    ),
  );
  server.push(
    await once([path.join(root, 'dist/cli/systems-server.js')], [init, list], (o) => o.includes('"id":2')),
  );
}
const s = median(server),
  b = median(baseline);
console.log(
  JSON.stringify({
    runs,
    server_tools_list_ms_median: +s.toFixed(1),
    bare_node_ms_median: +b.toFixed(1),
    ratio: +(s / b).toFixed(2),
    bar_ms: 500,
    within_bar: s < 500,
  }),
);
