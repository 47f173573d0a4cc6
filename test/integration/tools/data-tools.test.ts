import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { PACKAGE_ROOT } from '../../../src/util/paths.js';
import { ALL_FORMAT_NAMES } from '../../../src/formats/table-formats.js';
import { golden } from '../../helpers/golden.js';
import { call, inMemoryServer, writeConfig } from '../../helpers/mcp.js';
import { startVenvWorker, type TestWorker } from '../../helpers/workers.js';

// The data tools on real workers: a Python one (PSK) and a Groovy one (anonymous), as static sessions.
const GOLDEN = path.join(import.meta.dirname, 'golden');
const scriptDir = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-scripts-'));
let py: TestWorker;
let groovy: TestWorker;
let mcp: Awaited<ReturnType<typeof inMemoryServer>>;
let client: Client;
let configFile: string;
const PY = 'community:config:py';
const GROOVY = 'community:config:groovy';

beforeAll(async () => {
  [py, groovy] = await Promise.all([
    startVenvWorker({ auth: 'PSK' }),
    startVenvWorker({ auth: 'ANONYMOUS', language: 'groovy' }),
  ]);
  process.env.DH_DATA_TEST_PSK = py.token;
  configFile = await writeConfig({
    security: { community: { script_path_allowed_dirs: [scriptDir] } },
    community: {
      sessions: {
        py: { host: '127.0.0.1', port: py.port, auth_type: 'PSK', auth_token_env_var: 'DH_DATA_TEST_PSK' },
        groovy: { host: '127.0.0.1', port: groovy.port, auth_type: 'Anonymous' },
      },
    },
  });
  mcp = await inMemoryServer(configFile);
  client = mcp.client;
  // A table on the Groovy worker that several tests read, so none depends on another having run first.
  await run(GROOVY, 'gt = emptyTable(4).update("X = i * 2")');
});

afterAll(async () => {
  await mcp?.close();
  await Promise.all([py?.stop(), groovy?.stop()]);
});

async function run(id: string, script: string): Promise<Record<string, unknown>> {
  const r = await call(client, 'session_script_run', { session_id: id, script });
  expect(r.success, String(r.error)).toBe(true);
  return r;
}

async function tables(id: string): Promise<string[]> {
  const r = await call(client, 'session_tables_list', { session_id: id });
  expect(r.count).toBe((r.table_names as string[]).length);
  return r.table_names as string[];
}

describe('session_script_run', () => {
  it('reports created, updated and removed variables and captured stdout/stderr (Python)', async () => {
    const first = await run(
      PY,
      'import sys\nrun_a = 1\nrun_b = 2\nprint("out line")\nprint("err line", file=sys.stderr)',
    );
    expect([first.created, first.updated, first.removed]).toEqual([[], [], []]); // plain ints are not exported variables
    expect(first.stdout).toBe('out line\n');
    expect(first.stderr).toBe('err line\n');
    const t = await run(PY, 'from deephaven import empty_table\nrun_t = empty_table(2)');
    expect(t.created).toEqual([{ name: 'run_t', type: 'Table' }]);
    const u = await run(PY, 'run_t = empty_table(3)');
    expect(u.updated).toEqual([{ name: 'run_t', type: 'Table' }]);
    const d = await run(PY, 'del run_t');
    expect(d.removed).toEqual([{ name: 'run_t', type: 'Table' }]);
  });

  it('captures all of a long output and nothing of its own end marker', async () => {
    const r = await run(PY, 'for i in range(3000):\n    print(f"line {i}")');
    const lines = String(r.stdout).split('\n');
    expect(lines).toHaveLength(3001);
    expect(lines[2999]).toBe('line 2999');
    expect(r.stdout).not.toMatch(/__dh_mcp_/);
  });

  it("a script error is success=false with the worker's message, without Java stack frames", async () => {
    const r = await call(client, 'session_script_run', {
      session_id: PY,
      script: 'print("before")\nraise ValueError("boom 42")',
    });
    expect(r.success).toBe(false);
    expect(r.error).toMatch(/^Script execution failed for session 'community:config:py': /);
    expect(r.error).toMatch(/ValueError: boom 42/);
    expect(r.error).not.toMatch(/\n\s+at org\.jpy/);
    expect(r.error).toMatch(/stdout:\nbefore\n/);
  });

  it('runs Groovy on a Groovy worker, with its output', async () => {
    const r = await run(GROOVY, 'g_run = emptyTable(4).update("X = i * 2")\nprintln "groovy says hi"');
    expect(r.created).toEqual([{ name: 'g_run', type: 'Table' }]);
    expect(r.stdout).toBe('groovy says hi\n');
    const e = await call(client, 'session_script_run', {
      session_id: GROOVY,
      script: 'throw new IllegalStateException("nope")',
    });
    expect(e.error).toMatch(/IllegalStateException: nope/);
  });

  it('script_path reads only inside security.community.script_path_allowed_dirs; exactly one of script/script_path', async () => {
    const file = path.join(scriptDir, 'make.py');
    writeFileSync(file, 'from deephaven import empty_table\nfrom_file = empty_table(1)\n');
    const ok = await call(client, 'session_script_run', { session_id: PY, script_path: file });
    expect(ok.created).toEqual([{ name: 'from_file', type: 'Table' }]);
    const outside = path.join(os.tmpdir(), 'outside-dh-mcp.py');
    writeFileSync(outside, 'x = 1\n');
    const denied = await call(client, 'session_script_run', { session_id: PY, script_path: outside });
    expect(denied.error).toMatch(/is outside security\.community\.script_path_allowed_dirs/);
    const escape = await call(client, 'session_script_run', {
      session_id: PY,
      script_path: path.join(scriptDir, '..', 'outside-dh-mcp.py'),
    });
    expect(escape.error).toMatch(/is outside/);
    expect((await call(client, 'session_script_run', { session_id: PY })).error).toBe(
      'Must provide either script or script_path.',
    );
    expect(
      (await call(client, 'session_script_run', { session_id: PY, script: 'x=1', script_path: file })).error,
    ).toMatch(/either 'script' or 'script_path', not both/);
    await run(PY, 'del from_file');
  });
});

describe('tables and schemas', () => {
  it('lists tables only, never our helpers, on both languages', async () => {
    await run(
      PY,
      'from deephaven import empty_table\nlist_t1 = empty_table(1)\nlist_t2 = empty_table(2)\nnot_a_table = 5',
    );
    expect(await tables(PY)).toEqual(expect.arrayContaining(['list_t1', 'list_t2']));
    expect(await tables(PY)).not.toContain('not_a_table');
    expect(await tables(GROOVY)).toContain('gt');
    await run(PY, 'del list_t1, list_t2, not_a_table');
  });

  it('one success or error entry per table; all tables when table_names is omitted', async () => {
    await run(
      PY,
      'from deephaven import empty_table\nsch = empty_table(1).update(["A = i", "B = `x`", "C = now()"])',
    );
    const r = await call(client, 'session_tables_schema', {
      session_id: PY,
      table_names: ['sch', 'missing'],
    });
    expect(r.count).toBe(2);
    const [ok, bad] = r.schemas as Array<Record<string, unknown>>;
    expect(ok).toMatchObject({
      success: true,
      table: 'sch',
      format: 'json-row',
      row_count: 3,
      data: [
        { Name: 'A', DataType: 'int', ColumnType: 'Normal', IsPartitioning: false },
        { Name: 'B', DataType: 'java.lang.String', ColumnType: 'Normal', IsPartitioning: false },
        { Name: 'C', DataType: 'java.time.Instant', ColumnType: 'Normal', IsPartitioning: false },
      ],
    });
    expect(bad).toEqual({
      success: false,
      table: 'missing',
      error: expect.stringMatching(/^no table named 'missing' in the worker's scope; tables: .*sch/),
      isError: true,
    });
    const all = await call(client, 'session_tables_schema', { session_id: PY });
    expect((all.schemas as Array<{ table: string }>).map((s) => s.table)).toContain('sch');
    const groovy = await call(client, 'session_tables_schema', { session_id: GROOVY, table_names: ['gt'] });
    expect((groovy.schemas as Array<{ data: unknown }>)[0]!.data).toEqual([
      { Name: 'X', DataType: 'int', ColumnType: 'Normal', IsPartitioning: false },
    ]);
  });
});

// Every Deephaven column type the mapping documents, with nulls, NaN and infinities.
const ALL_TYPES = `
from deephaven import empty_table
all_types = empty_table(3).update([
  "B = (byte)(i==1 ? NULL_BYTE : i)", "S = (short)(i==1 ? NULL_SHORT : -i)", "I = i==1 ? NULL_INT : i * 1000",
  "L = i==1 ? NULL_LONG : (i==0 ? 42L : 9007199254740993L)",
  "F = i==1 ? NULL_FLOAT : (float)(i/3.0)", "D = i==0 ? Double.NaN : i==1 ? NULL_DOUBLE : Double.NEGATIVE_INFINITY",
  "Bo = i==1 ? null : i==0", "C = i==1 ? NULL_CHAR : 'x'", "Str = i==1 ? null : \`tab\\\\tline\\\\nend\`",
  "Ins = i==1 ? null : java.time.Instant.ofEpochSecond(1700000000, 123456789)",
  "Z = i==1 ? null : java.time.ZonedDateTime.of(2024,1,2,3,4,5,6,java.time.ZoneId.of(\`America/New_York\`))",
  "LD = i==1 ? null : java.time.LocalDate.of(2024,2,29)", "LT = i==1 ? null : java.time.LocalTime.of(13,14,15,16)",
  "BD = i==1 ? null : new java.math.BigDecimal(\`12345678901234567890.123456789\`)",
  "BI = i==1 ? null : new java.math.BigInteger(\`-123456789012345678901234567890\`)",
  "IA = i==1 ? null : new int[]{1,2,3}", "SA = new String[]{\`x\`, null}", "DA = new double[]{1.5, Double.NaN}",
  "IV = i==1 ? null : new io.deephaven.vector.IntVectorDirect(new int[]{4,5})",
])
`;

it('maps every column type to its documented JSON value', async () => {
  await run(PY, ALL_TYPES);
  const r = await call(client, 'session_table_data', {
    session_id: PY,
    table_name: 'all_types',
    format: 'json-row',
  });
  expect(r.is_complete).toBe(true);
  const rows = r.data as Array<Record<string, unknown>>;
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
    Z: '2024-01-02T08:04:05.000000006Z',
    LD: '2024-02-29',
    LT: '13:14:15.000000016',
    BD: '12345678901234567890.123456789',
    BI: '-123456789012345678901234567890',
    IA: [1, 2, 3],
    SA: ['x', null],
    DA: [1.5, 'NaN'],
    IV: [4, 5],
  });
  // Every null sentinel is null, whatever the column type.
  for (const col of [
    'B',
    'S',
    'I',
    'L',
    'F',
    'D',
    'Bo',
    'C',
    'Str',
    'Ins',
    'Z',
    'LD',
    'LT',
    'BD',
    'BI',
    'IA',
    'IV',
  ])
    expect(rows[1]![col], col).toBeNull();
  expect(rows[2]).toMatchObject({
    S: -2,
    I: 2000,
    L: '9007199254740993',
    F: 0.6666667,
    D: '-Infinity',
    Bo: false,
  });
  expect(r.schema).toContainEqual({ name: 'Ins', type: 'java.time.Instant' });
  expect(r.schema).toContainEqual({ name: 'IV', type: 'io.deephaven.vector.IntVectorDirect' });
});

describe('session_table_data formats (golden outputs)', () => {
  beforeAll(async () => {
    await run(
      PY,
      [
        'from deephaven import new_table',
        'from deephaven.column import string_col, int_col, double_col',
        'golden = new_table([',
        '  int_col("Id", [1, 2, 3]),',
        '  string_col("Text", ["pipe | and \\\\ backslash", "line\\nbreak, \\"quoted\\" <tag> & co", None]),',
        '  double_col("Value", [1.25, float("nan"), -0.5]),',
        '  string_col("Empty", ["", "x: y", "é ✓"]),',
        '])',
      ].join('\n'),
    );
  });

  it.each(ALL_FORMAT_NAMES)('%s', async (format) => {
    const r = await call(client, 'session_table_data', { session_id: PY, table_name: 'golden', format });
    expect(r.success).toBe(true);
    const text = typeof r.data === 'string' ? r.data : JSON.stringify(r.data, null, 2);
    expect({ format: r.format, text }).toEqual({
      format: format.startsWith('optimize-')
        ? {
            'optimize-rendering': 'markdown-table',
            'optimize-accuracy': 'markdown-kv',
            'optimize-cost': 'csv',
            'optimize-speed': 'json-column',
          }[format]
        : format,
      text: golden(path.join(GOLDEN, `${format}.txt`), text),
    });
    expect(r.schema).toEqual([
      { name: 'Id', type: 'int' },
      { name: 'Text', type: 'java.lang.String' },
      { name: 'Value', type: 'double' },
      { name: 'Empty', type: 'java.lang.String' },
    ]);
  });

  it('over stdio (the answer written as wire bytes) every format reads exactly as in-process', async () => {
    // More rows than one written slice, with text to escape (quotes, a backslash, a line break) and nulls.
    await run(
      PY,
      String.raw`from deephaven import new_table
from deephaven.column import string_col, int_col, double_col
n = 30000
big_mixed = new_table([int_col("I", list(range(n))), double_col("D", [i / 7 for i in range(n)]), string_col("S", [None if i % 5 == 0 else f's|"\\ {i}\n' for i in range(n)])])`,
    );
    // The whole table in one answer, on both servers (the cap is read at each call).
    const cap = process.env.DH_MCP_MAX_RESPONSE_CHARS;
    process.env.DH_MCP_MAX_RESPONSE_CHARS = '5000000';
    const stdio = new Client({ name: 'stdio-test', version: '1' });
    await stdio.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [path.join(PACKAGE_ROOT, 'dist', 'cli', 'systems-server.js')],
        env: { ...(process.env as Record<string, string>), DH_MCP_CONFIG_FILE: configFile },
        stderr: 'ignore',
      }),
    );
    try {
      for (const format of ALL_FORMAT_NAMES)
        for (const [table_name, max_rows] of [
          ['golden', 1000],
          ['big_mixed', 30000],
        ] as const) {
          const args = { session_id: PY, table_name, format, max_rows };
          const [a, b] = await Promise.all([
            stdio.callTool({ name: 'session_table_data', arguments: args }),
            client.callTool({ name: 'session_table_data', arguments: args }),
          ]);
          expect(a.structuredContent).toBeUndefined();
          expect(a.content).toEqual(b.content);
          expect(JSON.parse((a.content as Array<{ text: string }>)[0]!.text)).toMatchObject({
            success: true,
            row_count: table_name === 'golden' ? 3 : 30000,
          });
        }
    } finally {
      await stdio.close();
      if (cap === undefined) delete process.env.DH_MCP_MAX_RESPONSE_CHARS;
      else process.env.DH_MCP_MAX_RESPONSE_CHARS = cap;
    }
  });

  it('an unknown format fails before anything is fetched, listing the valid ones', async () => {
    const r = await call(client, 'session_table_data', {
      session_id: PY,
      table_name: 'no_such_table',
      format: 'html',
    });
    expect(r.error).toBe(
      `Invalid format parameter for table 'no_such_table': Invalid format 'html'. Valid options: ${ALL_FORMAT_NAMES.join(', ')}`,
    );
  });
});

describe('caps', () => {
  beforeAll(async () => {
    await run(
      PY,
      'from deephaven import empty_table\nbig = empty_table(5000).update(["N = i", "S = `row-` + i"])',
    );
  });

  it('max_rows caps rows, head and tail pick the ends, and the note says so', async () => {
    const head = await call(client, 'session_table_data', {
      session_id: PY,
      table_name: 'big',
      max_rows: 3,
      format: 'json-column',
    });
    expect(head).toMatchObject({
      row_count: 3,
      total_rows: 5000,
      is_complete: false,
      data: { N: [0, 1, 2] },
    });
    expect(head.truncation_note).toBe('Showing the first 3 of 5000 rows (max_rows=3).');
    const tail = await call(client, 'session_table_data', {
      session_id: PY,
      table_name: 'big',
      max_rows: 2,
      head: false,
      format: 'json-column',
    });
    expect((tail.data as { N: number[] }).N).toEqual([4998, 4999]);
    const all = await call(client, 'session_table_data', {
      session_id: PY,
      table_name: 'big',
      max_rows: null,
      format: 'csv',
    });
    expect(all).toMatchObject({ row_count: 5000, is_complete: true });
    expect(all.truncation_note).toBeUndefined();
    expect(
      (await call(client, 'session_table_data', { session_id: PY, table_name: 'big', max_rows: -1 })).error,
    ).toMatch(/max_rows must be 0 or more/);
  });

  it('the size cap stops adding rows and says why', async () => {
    process.env.DH_MCP_MAX_RESPONSE_CHARS = '1000';
    try {
      const r = await call(client, 'session_table_data', {
        session_id: PY,
        table_name: 'big',
        max_rows: null,
        format: 'json-row',
      });
      expect(r.is_complete).toBe(false);
      expect(r.row_count as number).toBeGreaterThan(10);
      expect(r.row_count as number).toBeLessThan(100);
      expect(JSON.stringify(r.data).length).toBeLessThanOrEqual(1000);
      expect(r.truncation_note).toMatch(/size cap of 1000 characters \(DH_MCP_MAX_RESPONSE_CHARS\)/);
    } finally {
      delete process.env.DH_MCP_MAX_RESPONSE_CHARS;
    }
  });

  it('a ticking table is read from one consistent snapshot', async () => {
    await run(
      PY,
      'from deephaven import time_table\ntick = time_table("PT0.001S").update(["X = ii", "Y = X * 2"])',
    );
    const read = () =>
      call(client, 'session_table_data', {
        session_id: PY,
        table_name: 'tick',
        max_rows: null,
        format: 'json-column',
      });
    // Wait (with a deadline, not a fixed sleep) until it has ticked a while, then read it as it keeps growing.
    await expect
      .poll(async () => (await read()).total_rows as number, { timeout: 30_000 })
      .toBeGreaterThan(100);
    for (let k = 0; k < 3; k++) {
      const r = await read();
      // How many rows fit under the size cap depends on how fast this machine lets the table grow, so the test
      // asserts what holds at any speed: the rows form one snapshot (X counts up from 0 without a gap, Y
      // matches X) and the response says truthfully how much of it is there.
      const { X, Y } = r.data as { X: number[]; Y: number[] };
      expect(X.length).toBe(r.row_count);
      expect(X.length).toBeGreaterThan(0);
      expect(r.row_count as number).toBeLessThanOrEqual(r.total_rows as number);
      expect(r.is_complete).toBe(r.row_count === r.total_rows);
      if (!r.is_complete) expect(r.truncation_note).toMatch(/size cap/);
      X.forEach((x, i) => {
        expect(x).toBe(i);
        expect(Y[i]).toBe(2 * x);
      });
    }
    await run(PY, 'del tick');
  });

  it('a table replaced under the same name is read as it is now (ticking, then fewer columns and more rows)', async () => {
    const read = (max_rows: number) =>
      call(client, 'session_table_data', {
        session_id: PY,
        table_name: 'swap',
        max_rows,
        format: 'json-column',
      });
    await run(PY, 'from deephaven import empty_table\nswap = empty_table(5).update(["A = i", "B = i * 2"])');
    // Twice: the second read is one that asks for the rows together with the table's description.
    for (let k = 0; k < 2; k++)
      expect((await read(10)).data).toEqual({ A: [0, 1, 2, 3, 4], B: [0, 2, 4, 6, 8] });
    await run(PY, 'from deephaven import time_table\nswap = time_table("PT0.001S").update(["X = ii"])');
    await expect
      .poll(async () => (await read(10)).total_rows as number, { timeout: 30_000 })
      .toBeGreaterThan(10);
    const ticking = await read(10);
    expect((ticking.data as { X: number[] }).X).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ticking.is_complete).toBe(false);
    await run(PY, 'swap = empty_table(8).update(["C = i + 100"])');
    for (let k = 0; k < 2; k++) {
      const r = await read(10);
      expect(r.data).toEqual({ C: [100, 101, 102, 103, 104, 105, 106, 107] });
      expect(r.is_complete).toBe(true);
    }
    await run(PY, 'del swap');
  });
});

describe('steered reads: offset, columns, filters, sort (applied on the worker)', () => {
  const read = (id: string, table: string, args: Record<string, unknown>) =>
    call(client, 'session_table_data', { session_id: id, table_name: table, format: 'json-column', ...args });

  beforeAll(async () => {
    await run(
      PY,
      'from deephaven import empty_table\nsteer = empty_table(1000).update(["N = i", "Sym = i % 3 == 0 ? `A` : `B`", "V = (i * 7) % 100"])',
    );
    await run(
      GROOVY,
      'steer = emptyTable(1000).update("N = i", "Sym = i % 3 == 0 ? `A` : `B`", "V = (i * 7) % 100")',
    );
  });

  for (const [lang, id] of [
    ['Python', PY],
    ['Groovy', GROOVY],
  ] as const) {
    it(`pages with offset, head and tail, and reports total_rows and next_offset (${lang})`, async () => {
      const page = await read(id, 'steer', { max_rows: 4, offset: 10 });
      expect(page).toMatchObject({
        row_count: 4,
        total_rows: 1000,
        offset: 10,
        next_offset: 14,
        is_complete: false,
      });
      expect((page.data as { N: number[] }).N).toEqual([10, 11, 12, 13]);
      expect(page.truncation_note).toBe(
        'Showing rows 11-14 of 1000 (offset=10, max_rows=4); next_offset=14 continues.',
      );
      const tail = await read(id, 'steer', { max_rows: 3, offset: 2, head: false });
      expect((tail.data as { N: number[] }).N).toEqual([995, 996, 997]);
      const past = await read(id, 'steer', { offset: 5000 });
      expect(past).toMatchObject({ row_count: 0, total_rows: 1000, is_complete: false });
      expect(past.next_offset).toBeUndefined();
    });

    it(`filters, sorts and picks columns on the worker (${lang})`, async () => {
      const r = await read(id, 'steer', {
        filters: ['Sym = `A`', 'N < 30'],
        sort: ['-V', 'N'],
        columns: ['V', 'N'],
        max_rows: 5,
      });
      expect(r.schema).toEqual([
        { name: 'V', type: 'int' },
        { name: 'N', type: 'int' },
      ]);
      expect(r.total_rows).toBe(10); // N = 0, 3, ..., 27
      const { V, N } = r.data as { V: number[]; N: number[] };
      const expected = [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]
        .map((n) => ({ n, v: (n * 7) % 100 }))
        .sort((a, b) => b.v - a.v || a.n - b.n)
        .slice(0, 5);
      expect(N).toEqual(expected.map((e) => e.n));
      expect(V).toEqual(expected.map((e) => e.v));
      expect(Object.keys(r.data as object)).toEqual(['V', 'N']);
      const one = await read(id, 'steer', { filters: 'N = 7', format: 'csv' });
      expect(one.data).toBe('N,Sym,V\n7,"B",49\n');
    });

    it(`names the bad column or filter expression (${lang})`, async () => {
      expect((await read(id, 'steer', { columns: ['N', 'Nope'] })).error).toBe(
        "columns: no column named 'Nope'; the table's columns are: N, Sym, V",
      );
      expect((await read(id, 'steer', { sort: ['-Missing'] })).error).toMatch(
        /^sort: no column named 'Missing'/,
      );
      const bad = await read(id, 'steer', { filters: ['N > 3', 'Bogus == 1'] });
      expect(bad.error).toMatch(
        /^filters: the worker rejected the filter expression 'Bogus == 1' on table 'steer'/,
      );
      expect((await read(id, 'steer', { offset: -1 })).error).toBe('offset must be 0 or more, got -1');
      expect((await read(id, 'steer', { sort: ['-'] })).error).toMatch(/^sort\[0\] names no column/);
    });
  }

  it('steers a ticking table within one snapshot', async () => {
    await run(
      PY,
      'from deephaven import time_table\ntick2 = time_table("PT0.001S").update(["X = ii", "Even = X % 2 == 0"])',
    );
    await expect
      .poll(async () => (await read(PY, 'tick2', { max_rows: 0 })).total_rows as number, { timeout: 30_000 })
      .toBeGreaterThan(50);
    const r = await read(PY, 'tick2', {
      filters: ['Even'],
      sort: ['-X'],
      columns: ['X'],
      offset: 1,
      max_rows: 20,
    });
    const { X } = r.data as { X: number[] };
    // One snapshot: the filtered rows are every even X from 0 up, so the total fixes what page 2 must hold.
    const top = 2 * ((r.total_rows as number) - 1);
    expect(X).toEqual(Array.from({ length: X.length }, (_, i) => top - 2 - 2 * i));
    expect(X.length).toBe(Math.min(20, (r.total_rows as number) - 1));
    await run(PY, 'del tick2');
  });
});

describe('session_pip_list', () => {
  it("lists the worker's packages and leaves its scope as it was", async () => {
    const before = await tables(PY);
    const r = await call(client, 'session_pip_list', { session_id: PY });
    const pkgs = r.result as Array<{ package: string; version: string }>;
    expect(pkgs).toContainEqual({ package: 'deephaven-core', version: '42.7' });
    expect(pkgs.length).toBeGreaterThan(5);
    expect(await tables(PY)).toEqual(before);
  });

  it('refuses a Groovy worker clearly', async () => {
    const r = await call(client, 'session_pip_list', { session_id: GROOVY });
    expect(r.error).toMatch(
      /session_pip_list works on Python workers only; this worker runs a groovy console/,
    );
  });
});

it('a worker restarted between two calls: the next call reconnects and works', async () => {
  expect(await tables(GROOVY)).toContain('gt');
  const port = groovy.port;
  await groovy.stop();
  groovy = await startVenvWorker({ auth: 'ANONYMOUS', language: 'groovy', port });
  expect(await tables(GROOVY)).toEqual([]); // a fresh worker: a fresh scope, and no error
  const r = await run(GROOVY, 'again = emptyTable(1)');
  expect(r.created).toEqual([{ name: 'again', type: 'Table' }]);
});
