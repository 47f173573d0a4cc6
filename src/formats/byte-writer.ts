import { Type, type Data, type RecordBatch } from 'apache-arrow';
import type { FormatColumn } from './arrow-columns.js';
import { digitCount, digitsBefore, PAIRS } from './digits.js';
import { writeShortestDouble } from './double-text.js';

/**
 * The byte path of csv, json-row and json-column for tables whose columns are all integers, doubles, booleans or
 * strings (the common case): cells go from the Arrow buffers straight into a byte buffer, already in their final
 * form, with no string per cell (integers are written digit by digit, doubles by double-text.ts, ASCII strings
 * copied byte for byte, booleans and separators are constants). Only doubles outside 1e-6..1e15 (and the rare
 * one double-text.ts cannot decide), NaN and infinities, longs beyond 2^53 and strings that need escaping go
 * through a JS string.
 *
 * `depth` is how many times the data's JSON is escaped again on its way out: 0 for the JSON text itself, 1 for
 * the inside of the JSON-RPC string that carries it on the wire. Values, integers and clean ASCII strings read the
 * same at every depth; only quotes, backslashes and control characters change, and those are written from
 * constants escaped once at start (or escaped on the slow path). The budget counts characters of the data's
 * JSON (depth 0) whatever the depth written.
 */
export type ByteFormat = 'json-row' | 'json-column' | 'csv' | 'text';

/**
 * How a text format (markdown-table, markdown-kv, xml) lays rows out, for the byte path: the string path's own
 * rules as constants (table-formats.ts keeps both side by side). Numbers and booleans are bare; a string is copied
 * as it is unless it holds a JSON-special or non-ASCII character or one of `special`, then it takes `escape`.
 */
export interface TextLayout {
  /** Before every row but the first, and before the first. */
  rowStart: string;
  firstRowStart: string;
  /** Then the row's 1-based number over the whole answer (markdown-kv's "## Record n"). */
  numbered: boolean;
  /** Per column: before and after a value, and the whole cell when it is null. */
  pre: string[];
  post: string[];
  nul: string[];
  rowEnd: string;
  special: string;
  escape(s: string): string;
}

/** The text of a text format around its rows. */
export interface TextFrame {
  head: string;
  tail: string;
  layout?: TextLayout;
}

/** Bytes a string cannot be copied with at any depth: controls, `"`, `\` and everything beyond ASCII. */
function badBytes(extra = ''): Uint8Array {
  const bad = new Uint8Array(256);
  for (let c = 0; c < 256; c++) if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x7f) bad[c] = 1;
  for (const ch of extra) bad[ch.charCodeAt(0)] = 1;
  return bad;
}
const JSON_BAD = badBytes();

const FAST_TYPES = new Set([
  'byte',
  'short',
  'int',
  'long',
  'double',
  'boolean',
  'java.lang.Byte',
  'java.lang.Short',
  'java.lang.Integer',
  'java.lang.Long',
  'java.lang.Double',
  'java.lang.Boolean',
  'java.lang.String',
]);

/** Whether every column takes the byte path. */
export function byteWritable(columns: FormatColumn[]): boolean {
  return columns.every((c) => FAST_TYPES.has(c.type));
}

/** A csv field in quotes, its quotes doubled (RFC 4180). */
export function csvQuote(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** `s` JSON-string-escaped `times` times (without the quotes). */
export function escapeTimes(s: string, times: number): string {
  let e = s;
  for (let k = 0; k < times; k++) e = JSON.stringify(e).slice(1, -1);
  return e;
}

/** A constant piece of output: its bytes at the depth written, and its length in characters of the data's JSON. */
interface Lit {
  bytes: Buffer;
  t: number;
}

/** A growing byte buffer, reused for every slice of rows. */
export class Slab {
  buf = Buffer.allocUnsafeSlow(1 << 20);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const b = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  lit(l: Lit): number {
    const n = l.bytes.length;
    this.ensure(n);
    const buf = this.buf;
    if (n <= 16) for (let k = 0; k < n; k++) buf[this.pos + k] = l.bytes[k]!;
    else l.bytes.copy(buf, this.pos);
    this.pos += n;
    return l.t;
  }

  /** A safe integer in decimal; returns its length. */
  int(v: number): number {
    this.ensure(21);
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    if (v < 0) {
      buf[p++] = 45;
      v = -v;
    }
    // The digit count by comparison (no division), then two digits per step from a table, right to left.
    const end = p + digitCount(v);
    let q = end;
    // Above 2^31 with doubles (exact below 2^53), below with 32-bit integer division.
    while (v >= 2147483648) {
      const next = Math.floor(v / 100);
      const r = (v - next * 100) << 1;
      buf[--q] = PAIRS[r + 1]!;
      buf[--q] = PAIRS[r]!;
      v = next;
    }
    digitsBefore(buf, q, v);
    this.pos = end;
    return end - start;
  }

  /** The finite double values[i] as String(d) writes it; returns its length. */
  double(values: Float64Array, i: number): number {
    const d = values[i]!;
    if (Number.isSafeInteger(d)) return this.int(d === 0 ? 0 : d);
    this.ensure(25);
    const end = writeShortestDouble(values, i, this.buf, this.pos);
    if (end < 0) return this.ascii(String(d));
    const n = end - this.pos;
    this.pos = end;
    return n;
  }

  /** An ASCII string (a number's text); returns its length. */
  ascii(s: string): number {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    for (let k = 0; k < n; k++) buf[this.pos + k] = s.charCodeAt(k);
    this.pos += n;
    return n;
  }

  /** Any string, as UTF-8. */
  utf8(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /**
   * Copies bytes [a, b) when none is marked in `bad` (which marks at least what differs between depths: controls,
   * `"`, `\`, non-ASCII); returns false, writing nothing, otherwise.
   */
  clean(bytes: Uint8Array, a: number, b: number, bad: Uint8Array): boolean {
    const n = b - a;
    this.ensure(n);
    const buf = this.buf;
    const p = this.pos;
    for (let k = 0; k < n; k++) {
      const c = bytes[a + k]!;
      if (bad[c]) return false;
      buf[p + k] = c;
    }
    this.pos = p + n;
    return true;
  }

  take(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }
}

/** Writes one cell of one batch at the slab's position; returns its length in characters of the data's JSON. */
type Cell = (i: number) => number;

interface Kit {
  slab: Slab;
  depth: number;
  lit(s: string, extra?: number): Lit;
}

function validity(data: Data): (i: number) => boolean {
  const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined;
  if (!bitmap || bitmap.length === 0) return () => true;
  const offset = data.offset;
  return (i) => {
    const j = offset + i;
    return (bitmap[j >> 3]! & (1 << (j & 7))) !== 0;
  };
}

/** How cells are written: JSON tokens, csv fields, or a text format's values (its layout frames them). */
type CellMode = 'json' | 'csv' | TextLayout;

/**
 * One column of one batch as cells. `mode` "json": JSON tokens (strings quoted and escaped, NaN and big longs as
 * strings). "csv": the csv field (strings always quoted with `"` doubled, numbers bare, null empty), then escaped
 * once more into the data's JSON string. A layout: the value as its text format writes it (null is the layout's
 * business), escaped once more likewise.
 */
function cellsOf(data: Data, kit: Kit, mode: CellMode): Cell {
  const { slab, depth } = kit;
  const valid = validity(data);
  const nul = mode === 'json' ? kit.lit('null') : kit.lit('');
  // A value the fast path cannot write: `raw` is the JSON token (json) or the csv field (csv).
  const textDepth = mode === 'json' ? depth : depth + 1;
  const slow = (raw: string): number => {
    slab.utf8(escapeTimes(raw, textDepth));
    return mode === 'json' ? raw.length : escapeTimes(raw, 1).length;
  };
  const type = data.type as { typeId: number; bitWidth?: number; isSigned?: boolean; precision?: number };
  switch (type.typeId) {
    case Type.Int: {
      if (type.bitWidth === 64) {
        const values = data.values as BigInt64Array;
        const halves = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
        const noNulls = data.nullCount === 0;
        return (i) => {
          if (!noNulls && !valid(i)) return slab.lit(nul);
          const hi = halves[2 * i + 1]!;
          // Above -2^53 and below 2^53: exact as a double (the safe integers but -2^53 + k, k < 2^32, which the
          // next test takes).
          if (hi > -2097152 && hi < 2097152) return slab.int(hi * 4294967296 + (halves[2 * i]! >>> 0));
          if (hi === -2097152) {
            const n = hi * 4294967296 + (halves[2 * i]! >>> 0);
            if (Number.isSafeInteger(n)) return slab.int(n);
          }
          const big = values[i]!.toString();
          return mode === 'json' ? slow(`"${big}"`) : slab.ascii(big);
        };
      }
      const values = data.values as Int32Array;
      if (data.nullCount === 0) return (i) => slab.int(values[i]!);
      return (i) => (valid(i) ? slab.int(values[i]!) : slab.lit(nul));
    }
    case Type.Float: {
      const values = data.values as Float64Array;
      const noNulls = data.nullCount === 0;
      return (i) => {
        if (!noNulls && !valid(i)) return slab.lit(nul);
        const d = values[i]!;
        if (Number.isFinite(d)) return slab.double(values, i);
        return mode === 'json' ? slow(`"${String(d)}"`) : slab.ascii(String(d));
      };
    }
    case Type.Bool: {
      const bits = data.values as Uint8Array;
      const offset = data.offset;
      const yes = kit.lit('true');
      const no = kit.lit('false');
      const noNulls = data.nullCount === 0;
      return (i) => {
        if (!noNulls && !valid(i)) return slab.lit(nul);
        const j = offset + i;
        return slab.lit((bits[j >> 3]! & (1 << (j & 7))) !== 0 ? yes : no);
      };
    }
    case Type.Utf8: {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (typeof mode === 'object') {
        const bad = badBytes(mode.special);
        return (i) => {
          if (!valid(i)) return slab.lit(nul);
          const a = offsets[i]!;
          const b = offsets[i + 1]!;
          if (slab.clean(bytes, a, b, bad)) return b - a;
          return slow(mode.escape(buf.toString('utf8', a, b)));
        };
      }
      // The quote around a string: part of the JSON token, or the csv quote escaped into the data's JSON string.
      const quote = kit.lit('"', mode === 'json' ? 0 : 1);
      const noNulls = data.nullCount === 0;
      return (i) => {
        if (!noNulls && !valid(i)) return slab.lit(nul);
        const a = offsets[i]!;
        const b = offsets[i + 1]!;
        const mark = slab.pos;
        const t = slab.lit(quote);
        if (slab.clean(bytes, a, b, JSON_BAD)) return t + (b - a) + slab.lit(quote);
        slab.pos = mark;
        const s = buf.toString('utf8', a, b);
        return slow(mode === 'json' ? JSON.stringify(s) : csvQuote(s));
      };
    }
    default:
      throw new Error(`no byte path for Arrow type ${String(data.type)}`);
  }
}

/**
 * Rows per slice: each slice becomes one output piece, so what is in flight stays small whatever the size of the
 * batches the worker sends (the string path slices the same way).
 */
export const SLICE_ROWS = 8192;

/** Pieces out of the byte path: bytes at `depth`, turned into what the caller keeps. */
export interface ByteSink<P> {
  depth: number;
  /** The data's JSON text (depth 0) of a constant, as a piece. */
  text(json: string): P;
  bytes(b: Buffer): P;
}

/**
 * csv, json-row or json-column through the byte path; the same output, budget rule and piece order as the string
 * writers of table-formats.ts (the unit tests hold them to it).
 */
export class ByteWriter<P> {
  rows = 0;
  chars: number;
  private readonly out: P[] = [];
  private readonly slab = new Slab();
  private readonly kit: Kit;
  /** json-column: per column, its pieces so far. */
  private readonly columnPieces: P[][];
  private readonly sep: Lit;
  private readonly rowEnd: Lit;
  /** json-row: a row of a table without columns. */
  private readonly emptyRow: Lit;
  private readonly keys: Lit[];
  private readonly closing: string;
  /** A text format's layout and its constants, escaped once into the data's JSON string. */
  private readonly layout?: TextLayout;
  private readonly text?: {
    rowStart: Lit;
    firstRowStart: Lit;
    pre: Lit[];
    post: Lit[];
    nul: Lit[];
    rowEnd: Lit;
  };

  /** `frame`: csv and text formats (the text around the rows; a text format's layout). */
  constructor(
    private readonly format: ByteFormat,
    private readonly columns: FormatColumn[],
    private readonly budget: number,
    private readonly sink: ByteSink<P>,
    frame: TextFrame = { head: '', tail: '' },
  ) {
    const depth = sink.depth;
    this.kit = {
      slab: this.slab,
      depth,
      lit: (str: string, extra = 0): Lit => ({
        bytes: Buffer.from(escapeTimes(str, extra + depth), 'utf8'),
        t: escapeTimes(str, extra).length,
      }),
    };
    this.columnPieces = columns.map(() => []);
    this.sep = this.kit.lit(',');
    this.rowEnd = this.kit.lit(format === 'csv' ? '\n' : '}', format === 'csv' ? 1 : 0);
    this.emptyRow = this.kit.lit('{}');
    this.keys = columns.map((c, k) => this.kit.lit(`${k ? ',' : '{'}${JSON.stringify(c.name)}:`));
    if (format === 'json-row') {
      this.chars = 2;
      this.out.push(sink.text('['));
      this.closing = ']';
    } else if (format === 'csv' || format === 'text') {
      const head = `"${escapeTimes(frame.head, 1)}`;
      this.closing = `${escapeTimes(frame.tail, 1)}"`;
      this.chars = head.length + this.closing.length;
      this.out.push(sink.text(head));
      if (format === 'text') {
        const layout = frame.layout;
        if (!layout) throw new Error('a text format needs its layout');
        const lit = (str: string): Lit => this.kit.lit(str, 1);
        this.layout = layout;
        this.text = {
          rowStart: lit(layout.rowStart),
          firstRowStart: lit(layout.firstRowStart),
          pre: layout.pre.map(lit),
          post: layout.post.map(lit),
          nul: layout.nul.map(lit),
          rowEnd: lit(layout.rowEnd),
        };
      }
    } else {
      this.chars = 2 + columns.reduce((n, c, i) => n + JSON.stringify(c.name).length + 3 + (i ? 1 : 0), 0);
      this.closing = '';
    }
  }

  write(batch: RecordBatch): number {
    const mode: CellMode = this.layout ?? (this.format === 'csv' ? 'csv' : 'json');
    const cells = batch.data.children.map((d) => cellsOf(d, this.kit, mode));
    const valid = this.layout ? batch.data.children.map(validity) : [];
    const n = batch.numRows;
    for (let from = 0; from < n; from += SLICE_ROWS) {
      const to = Math.min(n, from + SLICE_ROWS);
      const taken =
        this.format === 'json-column'
          ? this.columnSlice(cells, from, to)
          : this.format === 'text'
            ? this.textSlice(cells, valid, from, to)
            : this.rowSlice(cells, from, to);
      if (taken < to - from) return from + taken;
    }
    return n;
  }

  /** A text format: row by row through its layout. */
  private textSlice(cells: Cell[], valid: Array<(i: number) => boolean>, from: number, to: number): number {
    const slab = this.slab;
    const x = this.text!;
    const numbered = this.layout!.numbered;
    const width = cells.length;
    return this.rowsThatFit(from, to, (i, index) => {
      let t = slab.lit(index ? x.rowStart : x.firstRowStart);
      if (numbered) t += slab.int(index + 1);
      for (let c = 0; c < width; c++) {
        if (valid[c]!(i)) {
          t += slab.lit(x.pre[c]!);
          t += cells[c]!(i);
          t += slab.lit(x.post[c]!);
        } else t += slab.lit(x.nul[c]!);
      }
      return t + slab.lit(x.rowEnd);
    });
  }

  /** json-row and csv: row by row. */
  private rowSlice(cells: Cell[], from: number, to: number): number {
    const slab = this.slab;
    const width = cells.length;
    if (this.format === 'json-row')
      return this.rowsThatFit(from, to, (i, index) => {
        let t = index ? slab.lit(this.sep) : 0;
        for (let c = 0; c < width; c++) {
          t += slab.lit(this.keys[c]!);
          t += cells[c]!(i);
        }
        return t + slab.lit(width ? this.rowEnd : this.emptyRow);
      });
    return this.rowsThatFit(from, to, (i) => {
      let t = 0;
      for (let c = 0; c < width; c++) {
        if (c) t += slab.lit(this.sep);
        t += cells[c]!(i);
      }
      return t + slab.lit(this.rowEnd);
    });
  }

  /**
   * Writes rows [from, to) with `row` (row i of the batch, `index` over the whole answer; returns its characters)
   * while they fit the budget; the slice becomes one piece. Returns how many were taken.
   */
  private rowsThatFit(from: number, to: number, row: (i: number, index: number) => number): number {
    const slab = this.slab;
    let used = this.chars;
    let i = from;
    for (; i < to; i++) {
      const mark = slab.pos;
      const t = row(i, this.rows + i - from);
      if (used + t > this.budget) {
        slab.pos = mark;
        break;
      }
      used += t;
    }
    const taken = i - from;
    if (taken) this.out.push(this.sink.bytes(slab.take()));
    else slab.pos = 0;
    this.chars = used;
    this.rows += taken;
    return taken;
  }

  /** json-column: column by column; rows that would pass the budget are cut before anything is kept. */
  private columnSlice(cells: Cell[], from: number, to: number): number {
    const slab = this.slab;
    const first = this.rows === 0;
    const count = to - from;
    // Row costs first (each row's characters over all columns), so the cut is exact.
    const cost = new Float64Array(count);
    const written: Buffer[] = [];
    for (const cell of cells) {
      for (let i = from; i < to; i++) {
        const comma = i > from || !first ? slab.lit(this.sep) : 0;
        cost[i - from] = cost[i - from]! + comma + cell(i);
      }
      written.push(slab.take());
    }
    let taken = count;
    let used = this.chars;
    for (let k = 0; k < count; k++) {
      if (used + cost[k]! > this.budget) {
        taken = k;
        break;
      }
      used += cost[k]!;
    }
    if (taken < count) {
      if (taken === 0) return 0;
      // Write the columns again for the rows that fit (only when the budget ends inside this slice).
      written.length = 0;
      for (const cell of cells) {
        for (let i = from; i < from + taken; i++) {
          if (i > from || !first) slab.lit(this.sep);
          cell(i);
        }
        written.push(slab.take());
      }
    }
    written.forEach((b, k) => this.columnPieces[k]!.push(this.sink.bytes(b)));
    this.chars = used;
    this.rows += taken;
    return taken;
  }

  finish(): P[] {
    if (this.format !== 'json-column') {
      this.out.push(this.sink.text(this.closing));
      return this.out;
    }
    const out: P[] = [];
    this.columns.forEach((c, k) => {
      out.push(this.sink.text(`${k ? '],' : '{'}${JSON.stringify(c.name)}:[`), ...this.columnPieces[k]!);
    });
    out.push(this.sink.text(this.columns.length ? ']}' : '{}'));
    return out;
  }
}
