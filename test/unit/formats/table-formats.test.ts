import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  Binary,
  Bool,
  DateMillisecond,
  DurationNanosecond,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  List,
  RecordBatch,
  Schema,
  TimeNanosecond,
  TimestampNanosecond,
  Uint16,
  Utf8,
  makeData,
  Struct,
  vectorFromArray,
  type DataType,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { columnsOf, readersOf } from '../../../src/formats/arrow-columns.js';
import { WIRE } from '../../../src/server/spliced-stdio.js';
import {
  ALL_FORMAT_NAMES,
  TABLE_FORMATS,
  formatBatches,
  formatJson,
  resolveFormat,
  TEXT,
  tableWriter,
} from '../../../src/formats/table-formats.js';

// Record batches shaped the way a Deephaven worker sends them over Flight (Arrow type + deephaven:type metadata).
const GOLDEN = path.join(import.meta.dirname, 'golden');

interface Col {
  name: string;
  java: string;
  type: DataType;
  values: unknown[];
}

function batchOf(cols: Col[]): RecordBatch {
  const fields = cols.map((c) => new Field(c.name, c.type, true, new Map([['deephaven:type', c.java]])));
  const children = cols.map((c) =>
    INT64_BACKED.some((t) => c.type instanceof t)
      ? int64Data(c.type, c.values as Array<bigint | null>)
      : vectorFromArray(c.values as never[], c.type).data[0]!,
  );
  const schema = new Schema(fields);
  const length = cols[0]?.values.length ?? 0;
  return new RecordBatch(schema, makeData({ type: new Struct(fields), length, nullCount: 0, children }));
}

const INT64_BACKED = [TimestampNanosecond, TimeNanosecond, DurationNanosecond];

/** 64-bit temporal columns built from raw nanoseconds, exactly as they arrive on the wire. */
function int64Data(type: DataType, values: Array<bigint | null>) {
  const bitmap = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v !== null) bitmap[i >> 3]! |= 1 << (i & 7);
  });
  return makeData({
    type: type as TimestampNanosecond,
    length: values.length,
    nullCount: values.filter((v) => v === null).length,
    nullBitmap: bitmap,
    data: BigInt64Array.from(values, (v) => v ?? 0n) as unknown as Int32Array,
  });
}

function bigDecimal(unscaled: bigint, scale: number): Uint8Array {
  const bytes: number[] = [];
  let v = unscaled;
  // Minimal big-endian two's complement, as Java's BigInteger.toByteArray().
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (!((v === 0n && (bytes[0]! & 0x80) === 0) || (v === -1n && (bytes[0]! & 0x80) !== 0)));
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setInt32(0, scale, true);
  out.set(bytes, 4);
  return out;
}

const ALL_TYPES = batchOf([
  { name: 'B', java: 'byte', type: new Int8(), values: [0, null, -2] },
  { name: 'S', java: 'short', type: new Int16(), values: [0, null, -2] },
  { name: 'I', java: 'int', type: new Int32(), values: [0, null, 2000] },
  { name: 'L', java: 'long', type: new Int64(), values: [42n, null, 9007199254740993n] },
  { name: 'F', java: 'float', type: new Float32(), values: [0, null, 2 / 3] },
  { name: 'D', java: 'double', type: new Float64(), values: [NaN, null, -Infinity] },
  { name: 'Bo', java: 'java.lang.Boolean', type: new Bool(), values: [true, null, false] },
  { name: 'C', java: 'char', type: new Uint16(), values: [120, null, 233] },
  { name: 'Str', java: 'java.lang.String', type: new Utf8(), values: ['tab\tline\nend', null, 'é ✓ "q"'] },
  {
    name: 'Ins',
    java: 'java.time.Instant',
    type: new TimestampNanosecond('UTC'),
    values: [1700000000123456789n, null, -1n],
  },
  {
    name: 'LD',
    java: 'java.time.LocalDate',
    type: new DateMillisecond(),
    values: [new Date(Date.UTC(2024, 1, 29)), null, new Date(0)],
  },
  {
    name: 'LT',
    java: 'java.time.LocalTime',
    type: new TimeNanosecond(),
    values: [47655000000016n, null, 0n],
  },
  {
    name: 'Du',
    java: 'java.time.Duration',
    type: new DurationNanosecond(),
    values: [3723500000000n, null, 0n],
  },
  {
    name: 'BD',
    java: 'java.math.BigDecimal',
    type: new Binary(),
    values: [bigDecimal(12345678901234567890123456789n, 9), null, bigDecimal(-15n, -2)],
  },
  {
    name: 'BI',
    java: 'java.math.BigInteger',
    type: new Binary(),
    values: [bigDecimal(-123456789012345678901234567890n, 0).subarray(4), null, new Uint8Array([0x7f])],
  },
  {
    name: 'IA',
    java: 'int[]',
    type: new List(new Field('', new Int32(), true)),
    values: [[1, 2, 3], null, []],
  },
  {
    name: 'SA',
    java: 'java.lang.String[]',
    type: new List(new Field('', new Utf8(), true)),
    values: [['x', null], ['a|b'], []],
  },
]);

describe('the JSON mapping of every column type, read from Arrow buffers', () => {
  it('maps each value as docs/tools.md documents', () => {
    const rows = formatBatches('json-row', columnsOf(ALL_TYPES.schema.fields), [ALL_TYPES]) as Array<
      Record<string, unknown>
    >;
    expect(rows[0]).toEqual({
      B: 0,
      S: 0,
      I: 0,
      L: 42,
      F: 0,
      D: 'NaN',
      Bo: true,
      C: 'x',
      Str: 'tab\tline\nend',
      Ins: '2023-11-14T22:13:20.123456789Z',
      LD: '2024-02-29',
      LT: '13:14:15.000000016',
      Du: 'PT1H2M3.5S',
      BD: '12345678901234567890.123456789',
      BI: '-123456789012345678901234567890',
      IA: [1, 2, 3],
      SA: ['x', null],
    });
    for (const [k, v] of Object.entries(rows[1]!)) if (k !== 'SA') expect(v, k).toBeNull();
    expect(rows[2]).toMatchObject({
      B: -2,
      S: -2,
      I: 2000,
      L: '9007199254740993',
      F: 0.6666667,
      D: '-Infinity',
      Bo: false,
      C: 'é',
      Ins: '1969-12-31T23:59:59.999999999Z',
      LD: '1970-01-01',
      LT: '00:00:00.000000000',
      Du: 'PT0S',
      BD: '-1500',
      BI: '127',
      IA: [],
      SA: [],
    });
  });

  it('schema types come from the deephaven:type metadata', () => {
    expect(columnsOf(ALL_TYPES.schema.fields).slice(0, 3)).toEqual([
      { name: 'B', type: 'byte' },
      { name: 'S', type: 'short' },
      { name: 'I', type: 'int' },
    ]);
  });
});

// The same table as the integration goldens, plus every type: the text formats printed from Arrow.
const GOLDEN_BATCH = batchOf([
  { name: 'Id', java: 'int', type: new Int32(), values: [1, 2, 3] },
  {
    name: 'Text',
    java: 'java.lang.String',
    type: new Utf8(),
    values: ['pipe | and \\ backslash', 'line\nbreak, "quoted" <tag> & co', null],
  },
  { name: 'Value', java: 'double', type: new Float64(), values: [1.25, NaN, -0.5] },
  { name: 'Empty', java: 'java.lang.String', type: new Utf8(), values: ['', 'x: y', 'é ✓'] },
]);

describe.each(TABLE_FORMATS)('%s', (format) => {
  it('matches its golden output (every column type, nulls, special characters)', () => {
    const text = (batch: RecordBatch): string => {
      const data = formatBatches(format, columnsOf(batch.schema.fields), [batch]);
      return typeof data === 'string' ? data : JSON.stringify(data, null, 2);
    };
    const out = `${text(GOLDEN_BATCH)}\n---- all types ----\n${text(ALL_TYPES)}`;
    const file = path.join(GOLDEN, `${format}.txt`);
    if (process.env.DH_MCP_UPDATE_GOLDEN === '1') writeFileSync(file, out);
    expect(
      existsSync(file),
      `golden ${file} is missing; write it on purpose with DH_MCP_UPDATE_GOLDEN=1`,
    ).toBe(true);
    expect(out).toBe(readFileSync(file, 'utf8'));
  });

  it('its JSON text is exactly JSON.stringify of its data, across batches', () => {
    const columns = columnsOf(ALL_TYPES.schema.fields);
    const w = tableWriter(format, columns, Number.MAX_SAFE_INTEGER, TEXT);
    w.write(ALL_TYPES);
    w.write(ALL_TYPES);
    const json = w.finish().join('');
    expect(json).toBe(JSON.stringify(JSON.parse(json)));
    expect(w.chars).toBe(json.length);
    expect(w.rows).toBe(6);
    // The JSON formats, against values built the slow way: one object per row from each cell's JSON value.
    const rows = [ALL_TYPES, ALL_TYPES].flatMap((b) => {
      const readers = readersOf(b);
      return Array.from({ length: b.numRows }, (_, i) =>
        Object.fromEntries(columns.map((c, k) => [c.name, readers[k]!.json(i)])),
      );
    });
    if (format === 'json-row') expect(json).toBe(JSON.stringify(rows));
    if (format === 'json-column')
      expect(json).toBe(
        JSON.stringify(Object.fromEntries(columns.map((c) => [c.name, rows.map((r) => r[c.name])]))),
      );
  });

  it('its pieces, escaped one by one for the wire, are the escaped text', () => {
    const columns = columnsOf(GOLDEN_BATCH.schema.fields);
    const text = tableWriter(format, columns, Number.MAX_SAFE_INTEGER, TEXT);
    const wire = tableWriter(format, columns, Number.MAX_SAFE_INTEGER, WIRE);
    for (const w of [text, wire]) for (let k = 0; k < 3; k++) w.write(GOLDEN_BATCH);
    const json = text.finish().join('');
    expect(Buffer.concat(wire.finish()).toString('utf8')).toBe(JSON.stringify(json).slice(1, -1));
  });

  it('stops at the character budget, counting the JSON that is sent', () => {
    const columns = columnsOf(GOLDEN_BATCH.schema.fields);
    const full = tableWriter(format, columns, Number.MAX_SAFE_INTEGER, TEXT);
    for (let k = 0; k < 10; k++) full.write(GOLDEN_BATCH);
    const budget = Math.floor(full.finish().join('').length / 2);
    const w = tableWriter(format, columns, budget, TEXT);
    let stopped = false;
    for (let k = 0; k < 10 && !stopped; k++) stopped = w.write(GOLDEN_BATCH) < GOLDEN_BATCH.numRows;
    const json = w.finish().join('');
    expect(stopped).toBe(true);
    expect(json.length).toBeLessThanOrEqual(budget);
    expect(json).toBe(JSON.stringify(JSON.parse(json)));
    expect(w.rows).toBeGreaterThan(5);
    expect(w.rows).toBeLessThan(30);
  });
});

describe('large batches', () => {
  // More rows than one slice of the writers, with text that needs escaping every few rows.
  const n = 20_000;
  const BIG = batchOf([
    { name: 'N', java: 'int', type: new Int32(), values: Array.from({ length: n }, (_, i) => i) },
    {
      name: 'S',
      java: 'java.lang.String',
      type: new Utf8(),
      values: Array.from({ length: n }, (_, i) => (i % 7 ? `s${i}` : i % 3 ? null : `q"${i}\n|`)),
    },
  ]);
  const columns = columnsOf(BIG.schema.fields);

  it.each(TABLE_FORMATS)('%s: one batch reads as the same rows cut into other batches', (format) => {
    const whole = formatJson(format, columns, [BIG]);
    const cut = formatJson(format, columns, [BIG.slice(0, 5), BIG.slice(5, 12_000), BIG.slice(12_000)]);
    expect(cut).toBe(whole);
    expect(whole).toBe(JSON.stringify(JSON.parse(whole)));
  });

  it.each(TABLE_FORMATS)('%s: the budget stops a large batch inside a slice', (format) => {
    const whole = formatJson(format, columns, [BIG]);
    const budget = Math.floor(whole.length * 0.6);
    const w = tableWriter(format, columns, budget, TEXT);
    const taken = w.write(BIG);
    const json = w.finish().join('');
    expect(taken).toBeGreaterThan(8192);
    expect(taken).toBeLessThan(n);
    expect(w.rows).toBe(taken);
    expect(json.length).toBeLessThanOrEqual(budget);
    expect(json).toBe(formatJson(format, columns, [BIG.slice(0, taken)]));
  });
});

const INT_EDGES = [
  0,
  -1,
  2147483647,
  -2147483648,
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((k) => [10 ** k - 1, 10 ** k, -(10 ** k)]),
];
const LONG_EDGES = [
  0n,
  ...Array.from({ length: 19 }, (_, k) => 10n ** BigInt(k)).flatMap((p) => [p - 1n, p, -p, p + 1n]),
  2n ** 31n,
  2n ** 53n - 1n,
  -(2n ** 53n - 1n),
  2n ** 53n,
  2n ** 63n - 1n,
  -(2n ** 63n),
];

const BYTE_FORMATS = ['csv', 'json-row', 'json-column', 'markdown-table', 'markdown-kv', 'xml'] as const;

describe('byte path (csv, json, markdown and xml of int, long, double, boolean and string columns)', () => {
  const n = 20_000;
  const MIXED = batchOf([
    {
      name: 'I',
      java: 'int',
      type: new Int32(),
      values: Array.from({ length: n }, (_, i) => (i % 11 ? i - 9000 : null)),
    },
    {
      name: 'L',
      java: 'long',
      type: new Int64(),
      values: Array.from({ length: n }, (_, i) =>
        i % 13 ? BigInt(i) * (i % 2 ? 1n : -1n) * 2n ** 50n : null,
      ),
    },
    {
      name: 'D',
      java: 'double',
      type: new Float64(),
      // Integers, fractions of every length, values outside the fixed-notation range, NaN, infinities, -0, null.
      values: Array.from(
        { length: n },
        (_, i) =>
          [i / 7, NaN, -Infinity, Infinity, -0, 1e21, null, i / 3, -i / 11, i * 1e-7, 0.1 * i][i % 11],
      ),
    },
    {
      name: 'B',
      java: 'java.lang.Boolean',
      type: new Bool(),
      values: Array.from({ length: n }, (_, i) => [true, false, null][i % 3]),
    },
    {
      name: 'S "q"',
      java: 'java.lang.String',
      type: new Utf8(),
      values: Array.from(
        { length: n },
        (_, i) =>
          [
            `s${i}`,
            '',
            null,
            'a"b',
            'x\\y',
            'l\nm',
            'é✓',
            'c,d',
            'tab\t',
            'p|q',
            'a&b',
            '<x>',
            'cr\r',
            'a>b',
          ][i % 14],
      ),
    },
    {
      // Every digit count, each side of each power of ten, and the 32-bit limits.
      name: 'P',
      java: 'int',
      type: new Int32(),
      values: Array.from({ length: n }, (_, i) => INT_EDGES[i % INT_EDGES.length]!),
    },
    {
      name: 'Q',
      java: 'long',
      type: new Int64(),
      values: Array.from({ length: n }, (_, i) => LONG_EDGES[i % LONG_EDGES.length]!),
    },
    {
      name: 'Sh',
      java: 'short',
      type: new Int16(),
      values: Array.from({ length: n }, (_, i) => (i % 5) - 2),
    },
  ]);
  const columns = columnsOf(MIXED.schema.fields);
  const parts = [MIXED.slice(0, 3), MIXED.slice(3, 9000), MIXED.slice(9000)];

  it.each(BYTE_FORMATS)('%s: writes what the string path writes', (format) => {
    for (const encoding of [TEXT, WIRE] as const) {
      const out = (bytePath: boolean): string => {
        const w = tableWriter(format, columns, Number.MAX_SAFE_INTEGER, encoding as typeof TEXT, bytePath);
        for (const b of parts) w.write(b);
        const pieces = w.finish() as unknown[];
        return pieces.map((p) => (typeof p === 'string' ? p : (p as Buffer).toString('utf8'))).join('');
      };
      expect(out(true)).toBe(out(false));
    }
  });

  it.each(BYTE_FORMATS)('%s: stops at the same row under a budget', (format) => {
    const whole = formatJson(format, columns, [MIXED]);
    for (const share of [0.001, 0.3, 0.77]) {
      const budget = Math.floor(whole.length * share);
      const run = (bytePath: boolean) => {
        const w = tableWriter(format, columns, budget, TEXT, bytePath);
        let taken = 0;
        for (const b of parts) {
          const t = w.write(b);
          taken += t;
          if (t < b.numRows) break;
        }
        return { taken, rows: w.rows, chars: w.chars, json: w.finish().join('') };
      };
      const fast = run(true);
      expect(fast).toEqual(run(false));
      expect(fast.json.length).toBeLessThanOrEqual(budget);
      expect(fast.chars).toBe(fast.json.length);
    }
  });
});

describe('xml', () => {
  it('stays well-formed whatever the column names', () => {
    const batch = batchOf([
      { name: 'ok_name', java: 'int', type: new Int32(), values: [1] },
      { name: 'xmlish', java: 'int', type: new Int32(), values: [2] },
      { name: 'has$dollar', java: 'int', type: new Int32(), values: [3] },
      { name: 'naïve', java: 'java.lang.String', type: new Utf8(), values: ['a<b & "c"\u0001'] },
    ]);
    expect(formatBatches('xml', columnsOf(batch.schema.fields), [batch])).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<records><record><ok_name>1</ok_name>' +
        '<field name="xmlish">2</field><field name="has$dollar">3</field>' +
        '<field name="naïve">a&lt;b &amp; "c"\uFFFD</field></record></records>\n',
    );
  });
});

describe('format names', () => {
  it('resolves aliases and refuses unknown names, listing the valid ones', () => {
    expect(resolveFormat('optimize-cost')).toBe('csv');
    expect(() => resolveFormat('html')).toThrow(`Valid options: ${ALL_FORMAT_NAMES.join(', ')}`);
  });
});
