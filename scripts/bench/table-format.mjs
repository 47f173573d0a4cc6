// Formatting alone, no worker: the table-data bench's 5 columns (int, double, string, boolean, long; D = i / 7.0)
// built as Arrow batches of 65,536 rows in memory, then written by tableWriter as the server writes them for the
// stdio wire (depth 1, size cap lifted). Prints min and median of --runs passes per format, in ms. For A/B work on
// the formatters: `--root` points at another checkout's build, `--columns` keeps some columns only.
//
// Usage: npm run bench:table-format [-- --rows 1000000 --runs 12 --formats csv,json-column --columns I,D --root ../other]
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  Bool,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '12' },
    formats: { type: 'string', default: 'csv,json-row,json-column,markdown-table,markdown-kv,xml' },
    columns: { type: 'string', default: 'I,D,S,B,L' },
    root: { type: 'string', default: '.' },
  },
});
const dist = (file) => pathToFileURL(path.resolve(opts.root, 'dist', file)).href;
const { tableWriter } = await import(dist('formats/table-formats.js'));
const { WIRE } = await import(dist('server/spliced-stdio.js'));

const ROWS = Number(opts.rows);
const BATCH = 65_536;
const meta = (type) => new Map([['deephaven:type', type]]);
const all = [
  new Field('I', new Int32(), true, meta('int')),
  new Field('D', new Float64(), true, meta('double')),
  new Field('S', new Utf8(), true, meta('java.lang.String')),
  new Field('B', new Bool(), true, meta('java.lang.Boolean')),
  new Field('L', new Int64(), true, meta('long')),
];
const keep = all.map((f) => opts.columns.split(',').includes(f.name));
const fields = all.filter((_, k) => keep[k]);
const schema = new Schema(fields);
const batches = [];
for (let from = 0; from < ROWS; from += BATCH) {
  const n = Math.min(BATCH, ROWS - from);
  const I = new Int32Array(n);
  const D = new Float64Array(n);
  const L = new BigInt64Array(n);
  const S = [];
  const B = [];
  for (let k = 0; k < n; k++) {
    const i = from + k;
    I[k] = i;
    D[k] = i / 7.0;
    L[k] = BigInt(i) * 1000n;
    S.push(`name-${i}`);
    B.push(i % 2 === 0);
  }
  const children = [
    vectorFromArray(I),
    vectorFromArray(D),
    vectorFromArray(S, new Utf8()),
    vectorFromArray(B, new Bool()),
    vectorFromArray(L),
  ]
    .map((v) => v.data[0])
    .filter((_, k) => keep[k]);
  batches.push(
    new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children })),
  );
}
const columns = fields.map((f) => ({ name: f.name, type: f.metadata.get('deephaven:type') }));

console.log(`| format | columns | rows | min ms | median ms | MB written |`);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const format of opts.formats.split(',')) {
  const times = [];
  let bytes = 0;
  for (let r = 0; r < Number(opts.runs); r++) {
    const t0 = performance.now();
    const writer = tableWriter(format, columns, Number.MAX_SAFE_INTEGER, WIRE);
    for (const b of batches) writer.write(b);
    const pieces = writer.finish();
    times.push(performance.now() - t0);
    bytes = pieces.reduce((n, p) => n + p.length, 0);
  }
  times.sort((a, b) => a - b);
  console.log(
    `| ${format} | ${opts.columns} | ${ROWS} | ${times[0].toFixed(0)} | ${times[times.length >> 1].toFixed(0)} | ${(bytes / 1e6).toFixed(1)} |`,
  );
}
