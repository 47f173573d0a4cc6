import type { RecordBatch } from 'apache-arrow';
import type { JsonValue } from '../deephaven/json-values.js';
import { readersOf, type ColumnReader, type FormatColumn } from './arrow-columns.js';
import {
  ByteWriter,
  SLICE_ROWS,
  byteWritable,
  csvQuote,
  escapeTimes,
  type ByteSink,
  type TextLayout,
} from './byte-writer.js';

export type { FormatColumn } from './arrow-columns.js';
import { quote } from '../util/quote.js';

/** The seven formats of session_table_data and the reference's four aliases. */
export const TABLE_FORMATS = [
  'json-row',
  'json-column',
  'csv',
  'markdown-table',
  'markdown-kv',
  'yaml',
  'xml',
] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];
export const FORMAT_ALIASES = {
  'optimize-rendering': 'markdown-table',
  'optimize-accuracy': 'markdown-kv',
  'optimize-cost': 'csv',
  'optimize-speed': 'json-column',
} as const satisfies Record<string, TableFormat>;
export const ALL_FORMAT_NAMES = [...TABLE_FORMATS, ...Object.keys(FORMAT_ALIASES)].sort();

/** Resolves a requested format name; unknown names fail before any data is fetched. */
export function resolveFormat(requested: string): TableFormat {
  if ((TABLE_FORMATS as readonly string[]).includes(requested)) return requested as TableFormat;
  const alias = (FORMAT_ALIASES as Record<string, TableFormat>)[requested];
  if (alias) return alias;
  throw new Error(`Invalid format ${quote(requested)}. Valid options: ${ALL_FORMAT_NAMES.join(', ')}`);
}

export type FormattedData = string | Record<string, JsonValue[]> | Array<Record<string, JsonValue>>;

/**
 * What a writer does with each piece of the data's JSON it completes: keep it as text (TEXT), or turn it at once
 * into what will be sent (the wire form, escaped again for the JSON-RPC string that carries it), so the whole
 * answer never exists as one JS string. `depth` is how many escapes the pieces carry beyond the JSON itself;
 * `bytes` takes pieces the byte path wrote at that depth.
 */
export interface Encoding<P> extends ByteSink<P> {
  depth: number;
  text(json: string): P;
  bytes(b: Buffer): P;
}

export const TEXT: Encoding<string> = { depth: 0, text: (s) => s, bytes: (b) => b.toString('utf8') };

/**
 * Formats rows batch by batch under a character budget, as the JSON text of the data value (what the text block
 * carries), in pieces: the budget counts those characters, so the cap bounds what is sent. Nothing is built per
 * cell beyond the cell's text: no row objects, no intermediate value tree.
 */
export interface TableWriter<P> {
  /** Appends the batch's rows while they fit; returns how many were taken (fewer than the batch: budget reached). */
  write(batch: RecordBatch): number;
  readonly rows: number;
  /** Characters of the data's JSON so far, closing included. */
  readonly chars: number;
  /** The data's JSON, encoded, in order. */
  finish(): P[];
}

export function tableWriter<P>(
  format: TableFormat,
  columns: FormatColumn[],
  budget: number,
  encode: Encoding<P>,
  /** false: the string path even where the byte path applies (tests hold the two to the same output). */
  bytePath = true,
): TableWriter<P> {
  if (bytePath && byteWritable(columns)) {
    if (format === 'json-row' || format === 'json-column')
      return new ByteWriter(format, columns, budget, encode);
    if (format === 'csv')
      return new ByteWriter(format, columns, budget, encode, { head: csv(columns).head, tail: '' });
    const text = TEXT_FORMATS[format](columns);
    if (text.layout)
      return new ByteWriter('text', columns, budget, encode, {
        head: text.head,
        tail: text.tail(0),
        layout: text.layout,
      });
  }
  switch (format) {
    case 'json-row':
      return new JsonRowWriter(columns, budget, encode);
    case 'json-column':
      return new JsonColumnWriter(columns, budget, encode);
    default:
      return new TextWriter(TEXT_FORMATS[format](columns), budget, encode);
  }
}

/** The data's JSON text of whole batches (tests, small helper tables): no budget. */
export function formatJson(format: TableFormat, columns: FormatColumn[], batches: RecordBatch[]): string {
  const w = tableWriter(format, columns, Number.MAX_SAFE_INTEGER, TEXT);
  for (const b of batches) w.write(b);
  return w.finish().join('');
}

/** The data value of whole batches: a string for text formats, rows or columns for the JSON formats. */
export function formatBatches(
  format: TableFormat,
  columns: FormatColumn[],
  batches: RecordBatch[],
): FormattedData {
  return JSON.parse(formatJson(format, columns, batches)) as FormattedData;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON formats: written as JSON text straight from the column readers (each cell's JSON token), row by row, so
// the budget is checked exactly as rows are added.

abstract class SlicedWriter<P> implements TableWriter<P> {
  abstract rows: number;
  abstract chars: number;
  abstract finish(): P[];
  /** Writes rows [from, to) of the batch while they fit; returns how many were taken. */
  protected abstract slice(readers: ColumnReader[], from: number, to: number): number;

  write(batch: RecordBatch): number {
    const readers = readersOf(batch);
    const n = batch.numRows;
    for (let from = 0; from < n; from += SLICE_ROWS) {
      const to = Math.min(n, from + SLICE_ROWS);
      const taken = this.slice(readers, from, to);
      if (taken < to - from) return from + taken;
    }
    return n;
  }
}

class JsonRowWriter<P> extends SlicedWriter<P> {
  rows = 0;
  chars = 2; // []
  private readonly out: P[];
  /** `{"A":` then `,"B":` ...: what precedes each cell of a row. */
  private readonly keys: string[];
  constructor(
    columns: FormatColumn[],
    private readonly budget: number,
    private readonly encoding: Encoding<P>,
  ) {
    super();
    this.keys = columns.map((c, k) => `${k ? ',' : '{'}${JSON.stringify(c.name)}:`);
    this.out = [encoding.text('[')];
  }

  protected slice(readers: ColumnReader[], from: number, to: number): number {
    const keys = this.keys;
    const width = readers.length;
    let piece = '';
    let i = from;
    for (; i < to; i++) {
      let row = this.rows + i - from ? ',' : '';
      for (let c = 0; c < width; c++) row += keys[c]! + readers[c]!.jsonText(i);
      row += width ? '}' : '{}';
      if (this.chars + piece.length + row.length > this.budget) break;
      piece += row;
    }
    const taken = i - from;
    if (taken) {
      this.out.push(this.encoding.text(piece));
      this.chars += piece.length;
      this.rows += taken;
    }
    return taken;
  }

  finish(): P[] {
    this.out.push(this.encoding.text(']'));
    return this.out;
  }
}

class JsonColumnWriter<P> extends SlicedWriter<P> {
  rows = 0;
  chars: number;
  /** Per column, its values' JSON so far (encoded pieces), joined under its key at the end. */
  private readonly pieces: P[][];
  constructor(
    private readonly columns: FormatColumn[],
    private readonly budget: number,
    private readonly encoding: Encoding<P>,
  ) {
    super();
    this.pieces = columns.map(() => []);
    // {"A":[],"B":[]}
    this.chars = 2 + columns.reduce((n, c, i) => n + JSON.stringify(c.name).length + 3 + (i ? 1 : 0), 0);
  }

  protected slice(readers: ColumnReader[], from: number, to: number): number {
    const first = this.rows === 0;
    const column = (r: ColumnReader, end: number): string => {
      let s = first && from < end ? r.jsonText(from) : '';
      for (let i = first ? from + 1 : from; i < end; i++) s += `,${r.jsonText(i)}`;
      return s;
    };
    let cols = readers.map((r) => column(r, to));
    let added = cols.reduce((sum, c) => sum + c.length, 0);
    let taken = to - from;
    if (this.chars + added > this.budget) {
      // Over budget: find how many rows fit, then write those.
      taken = 0;
      added = 0;
      for (; from + taken < to; taken++) {
        let cost = 0;
        for (const r of readers) cost += r.jsonText(from + taken).length + (taken || !first ? 1 : 0);
        if (this.chars + added + cost > this.budget) break;
        added += cost;
      }
      cols = readers.map((r) => column(r, from + taken));
    }
    if (taken) {
      cols.forEach((c, k) => this.pieces[k]!.push(this.encoding.text(c)));
      this.chars += added;
      this.rows += taken;
    }
    return taken;
  }

  finish(): P[] {
    const out: P[] = [];
    this.columns.forEach((c, k) => {
      out.push(this.encoding.text(`${k ? '],' : '{'}${JSON.stringify(c.name)}:[`), ...this.pieces[k]!);
    });
    out.push(this.encoding.text(this.columns.length ? ']}' : '{}'));
    return out;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Text formats: rows are written as text straight from the Arrow columns; the data is one JSON string, escaped
// batch by batch (JSON escaping is per character, so escaped pieces concatenate).

interface TextFormat {
  head: string;
  /**
   * Pushes the text of row i of the batch onto `out` (pieces, joined once per batch: no intermediate strings);
   * `index` counts rows over the whole answer (0-based).
   */
  row(readers: ColumnReader[], i: number, index: number, out: string[]): void;
  /** Closes the text given how many rows were written. */
  tail(rows: number): string;
  /** The same rows as constants, for the byte path (formats whose tail does not depend on the rows). */
  layout?: TextLayout;
}

class TextWriter<P> extends SlicedWriter<P> {
  rows = 0;
  chars: number;
  private readonly out: P[];
  constructor(
    private readonly format: TextFormat,
    private readonly budget: number,
    private readonly encoding: Encoding<P>,
  ) {
    super();
    const head = escapeJson(format.head);
    this.out = [encoding.text(`"${head}`)];
    // The closing text is short and known in size within a few characters: reserve the empty-table form's size.
    this.chars = 2 + head.length + escapeJson(format.tail(1)).length;
  }

  protected slice(readers: ColumnReader[], from: number, to: number): number {
    const parts: string[] = [];
    for (let i = from; i < to; i++) this.format.row(readers, i, this.rows + i - from, parts);
    let escaped = escapeJson(parts.join(''));
    let taken = to - from;
    if (this.chars + escaped.length > this.budget) {
      taken = 0;
      const kept: string[] = [];
      let used = this.chars;
      for (let i = from; i < to; i++) {
        const one: string[] = [];
        this.format.row(readers, i, this.rows + i - from, one);
        const e = escapeJson(one.join(''));
        if (used + e.length > this.budget) break;
        used += e.length;
        kept.push(e);
        taken++;
      }
      escaped = kept.join('');
    }
    if (taken) {
      this.out.push(this.encoding.text(escaped));
      this.chars += escaped.length;
      this.rows += taken;
    }
    return taken;
  }

  finish(): P[] {
    this.out.push(this.encoding.text(`${escapeJson(this.format.tail(this.rows))}"`));
    return this.out;
  }
}

/** A string's JSON form without the surrounding quotes (JSON escaping is per character, so pieces concatenate). */
function escapeJson(s: string): string {
  return escapeTimes(s, 1);
}

const TEXT_TYPES = new Set(['java.lang.String', 'char', 'java.lang.Character']);
const KNOWN_TYPES = new Set([
  'byte',
  'short',
  'int',
  'long',
  'float',
  'double',
  'boolean',
  'java.lang.Byte',
  'java.lang.Short',
  'java.lang.Integer',
  'java.lang.Long',
  'java.lang.Float',
  'java.lang.Double',
  'java.lang.Boolean',
  'java.time.Instant',
  'java.time.ZonedDateTime',
  'java.time.LocalDate',
  'java.time.LocalTime',
  'java.math.BigDecimal',
  'java.math.BigInteger',
]);

const TEXT_FORMATS: Record<
  Exclude<TableFormat, 'json-row' | 'json-column'>,
  (c: FormatColumn[]) => TextFormat
> = {
  csv,
  'markdown-table': markdownTable,
  'markdown-kv': markdownKv,
  yaml,
  xml,
};

/**
 * RFC 4180: a header row, `\n` line ends, fields quoted when they hold `,`, `"`, CR/LF, and every string value
 * quoted so an empty string ("") differs from null (an empty field).
 */
function csv(columns: FormatColumn[]): TextFormat {
  // Text columns are always quoted; numbers stay bare, including "NaN" and longs beyond 2^53 (strings in JSON).
  const textual = columns.map(
    (c) => TEXT_TYPES.has(c.type) || c.type.endsWith('[]') || !KNOWN_TYPES.has(c.type),
  );
  const header =
    columns.map((c) => (/[",\r\n]|^\s|\s$/.test(c.name) ? csvQuote(c.name) : c.name)).join(',') + '\n';
  // Every other column is a known type (numbers, booleans, times): never quoted.
  return {
    head: header,
    row(readers, i, _index, out) {
      const last = readers.length - 1;
      for (let c = 0; c <= last; c++) {
        const s = readers[c]!.text(i);
        if (s !== null) {
          if (textual[c]) {
            if (s.includes('"')) out.push(csvQuote(s));
            else out.push('"', s, '"');
          } else out.push(s);
        }
        out.push(c === last ? '\n' : ',');
      }
      if (last < 0) out.push('\n');
    },
    tail: () => '',
  };
}

/** GitHub-flavoured table: `\` and `|` escaped, line breaks as <br>, null as an empty cell. */
function markdownTable(columns: FormatColumn[]): TextFormat {
  const special = /[\\|\r\n]/;
  const cell = (s: string): string =>
    special.test(s)
      ? s
          .replace(/\\/g, '\\\\')
          .replace(/\|/g, '\\|')
          .replace(/\r?\n|\r/g, '<br>')
      : s;
  const plain = columns.map((c) => KNOWN_TYPES.has(c.type)); // numbers, booleans, times: nothing to escape
  return {
    head: `| ${columns.map((c) => cell(c.name)).join(' | ')} |\n| ${columns.map(() => '---').join(' | ')} |`,
    layout: {
      rowStart: '\n|',
      firstRowStart: '\n|',
      numbered: false,
      pre: columns.map(() => ' '),
      post: columns.map(() => ' |'),
      nul: columns.map(() => '  |'),
      rowEnd: '',
      special: '|',
      escape: cell,
    },
    row(readers, i, _index, out) {
      out.push('\n|');
      for (let c = 0; c < readers.length; c++) {
        const s = readers[c]!.text(i) ?? '';
        out.push(' ', plain[c] ? s : cell(s), ' |');
      }
    },
    tail: () => '',
  };
}

/** One `## Record n` block per row, `Column: value` lines; null as `null`, line breaks as `\n`. */
function markdownKv(columns: FormatColumn[]): TextFormat {
  const special = /[\\\r\n]/;
  const value = (s: string | null): string =>
    s === null
      ? 'null'
      : special.test(s)
        ? s.replace(/\\/g, '\\\\').replace(/\r/g, '\\r').replace(/\n/g, '\\n')
        : s;
  const labels = columns.map((c) => `\n${c.name}: `);
  const plain = columns.map((c) => KNOWN_TYPES.has(c.type));
  return {
    head: '',
    layout: {
      rowStart: '\n\n## Record ',
      firstRowStart: '## Record ',
      numbered: true,
      pre: labels,
      post: columns.map(() => ''),
      nul: labels.map((l) => `${l}null`),
      rowEnd: '',
      special: '',
      escape: (s) => value(s),
    },
    row(readers, i, index, out) {
      out.push(index ? '\n\n## Record ' : '## Record ', String(index + 1));
      for (let c = 0; c < readers.length; c++) {
        const s = readers[c]!.text(i);
        out.push(labels[c]!, plain[c] ? (s ?? 'null') : value(s));
      }
    },
    tail: () => '',
  };
}

const YAML_RESERVED = /^(?:true|false|yes|no|on|off|y|n|null|~)$/i;
const YAML_PLAIN = /^[A-Za-z_][A-Za-z0-9_ ./()+-]*$/;
/** A YAML scalar for a string: plain when unambiguous, else double-quoted (JSON strings are valid YAML). */
function yamlString(s: string): string {
  return YAML_PLAIN.test(s) && !s.endsWith(' ') && !YAML_RESERVED.test(s) && !s.includes(' -')
    ? s
    : JSON.stringify(s);
}

/** `records:` list of mappings, keys in column order; strings quoted only when YAML could misread them. */
function yaml(columns: FormatColumn[]): TextFormat {
  const keys = columns.map((c, k) => `\n${k ? '  ' : '- '}${yamlString(c.name)}: `);
  return {
    head: 'records:',
    row(readers, i, _index, out) {
      for (let c = 0; c < readers.length; c++) out.push(keys[c]!, yamlValue(readers[c]!.json(i)));
      if (!readers.length) out.push('\n- {}');
    },
    tail: (rows) => (rows ? '\n' : ' []\n'),
  };
}

function yamlValue(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return yamlString(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const XML_SPECIAL = /[&<>\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
function xmlText(s: string): string {
  if (!XML_SPECIAL.test(s)) return s;
  return s.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;');
}

/** Names that are XML element names as they are (ASCII NCNames not starting with "xml"). */
const XML_NAME = /^(?!xml)[A-Za-z_][A-Za-z0-9_.-]*$/i;

/**
 * `<records><record><Col>value</Col>…</record>…</records>`: columns whose name is a valid XML name are elements
 * of that name; any other name is `<field name="…">`, so the document is valid whatever the column names. Null is
 * `<Col null="true"/>`, arrays are `<item>` elements.
 */
function xml(columns: FormatColumn[]): TextFormat {
  const open = columns.map((c) =>
    XML_NAME.test(c.name) ? `<${c.name}>` : `<field name="${xmlAttr(c.name)}">`,
  );
  const close = columns.map((c) => (XML_NAME.test(c.name) ? `</${c.name}>` : '</field>'));
  const plain = columns.map((c) => KNOWN_TYPES.has(c.type)); // numbers, booleans, times: nothing to escape
  const nul = columns.map((c) =>
    XML_NAME.test(c.name) ? `<${c.name} null="true"/>` : `<field name="${xmlAttr(c.name)}" null="true"/>`,
  );
  const item = (x: JsonValue): string =>
    x === null
      ? '<item null="true"/>'
      : Array.isArray(x)
        ? `<item>${x.map(item).join('')}</item>`
        : `<item>${xmlText(String(x))}</item>`;
  return {
    head: '<?xml version="1.0" encoding="UTF-8"?>\n<records>', // no line breaks between records: fewer tokens
    layout: {
      rowStart: '<record>',
      firstRowStart: '<record>',
      numbered: false,
      pre: open,
      post: close,
      nul,
      rowEnd: '</record>',
      special: '&<>',
      escape: xmlText,
    },
    row(readers, i, _index, out) {
      out.push('<record>');
      for (let c = 0; c < readers.length; c++) {
        const r = readers[c]!;
        if (r.isNull(i)) {
          out.push(nul[c]!);
          continue;
        }
        if (plain[c]) {
          out.push(open[c]!, r.text(i)!, close[c]!);
          continue;
        }
        const v = r.json(i);
        out.push(open[c]!, Array.isArray(v) ? v.map(item).join('') : xmlText(String(v)), close[c]!);
      }
      out.push('</record>');
    },
    tail: () => '</records>\n',
  };
}
