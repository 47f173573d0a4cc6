import type { RecordBatch } from 'apache-arrow';
import type { JsonValue } from '../deephaven/json-values.js';
import { readersOf, type ColumnReader, type FormatColumn } from './arrow-columns.js';

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
 * Formats rows batch by batch under a character budget. `json` is the data exactly as JSON.stringify would
 * write it (what the text block carries): the budget counts those characters, so the cap bounds what is sent.
 */
export interface TableWriter {
  /** Appends the batch's rows while they fit; returns how many were taken (fewer than the batch: budget reached). */
  write(batch: RecordBatch): number;
  readonly rows: number;
  readonly chars: number;
  finish(): { data: FormattedData; json: string };
}

export function tableWriter(format: TableFormat, columns: FormatColumn[], budget: number): TableWriter {
  switch (format) {
    case 'json-row':
      return new JsonRowWriter(columns, budget);
    case 'json-column':
      return new JsonColumnWriter(columns, budget);
    default:
      return new TextWriter(TEXT_FORMATS[format](columns), budget);
  }
}

/** Convenience for callers holding whole batches (tests, small helper tables): no budget. */
export function formatBatches(
  format: TableFormat,
  columns: FormatColumn[],
  batches: RecordBatch[],
): FormattedData {
  const w = tableWriter(format, columns, Number.MAX_SAFE_INTEGER);
  for (const b of batches) w.write(b);
  return w.finish().data;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON formats: the structured value is needed (structuredContent), so values are materialised; the JSON text is
// produced per batch and reused for the text block.

class JsonRowWriter implements TableWriter {
  rows = 0;
  chars = 2; // []
  private readonly objects: Array<Record<string, JsonValue>> = [];
  private readonly pieces: string[] = [];
  constructor(
    private readonly columns: FormatColumn[],
    private readonly budget: number,
  ) {}

  write(batch: RecordBatch): number {
    const readers = readersOf(batch);
    const names = this.columns.map((c) => c.name);
    const made: Array<Record<string, JsonValue>> = new Array<Record<string, JsonValue>>(batch.numRows);
    for (let i = 0; i < batch.numRows; i++) {
      const o: Record<string, JsonValue> = {};
      for (let c = 0; c < readers.length; c++) o[names[c]!] = readers[c]!.json(i);
      made[i] = o;
    }
    let piece = JSON.stringify(made).slice(1, -1);
    let taken = made.length;
    const sep = this.pieces.length && piece ? 1 : 0;
    if (this.chars + sep + piece.length > this.budget) {
      // Over budget: keep the rows that fit, one by one.
      taken = 0;
      const parts: string[] = [];
      let used = this.chars;
      for (const o of made) {
        const s = JSON.stringify(o);
        if (used + s.length + (this.pieces.length || parts.length ? 1 : 0) > this.budget) break;
        used += s.length + (this.pieces.length || parts.length ? 1 : 0);
        parts.push(s);
        taken++;
      }
      piece = parts.join(',');
    }
    if (taken) {
      this.chars += (this.pieces.length ? 1 : 0) + piece.length;
      this.pieces.push(piece);
      for (let i = 0; i < taken; i++) this.objects.push(made[i]!);
      this.rows += taken;
    }
    return taken;
  }

  finish(): { data: FormattedData; json: string } {
    return { data: this.objects, json: `[${this.pieces.join(',')}]` };
  }
}

class JsonColumnWriter implements TableWriter {
  rows = 0;
  chars: number;
  private readonly values: JsonValue[][];
  private readonly pieces: string[][];
  constructor(
    private readonly columns: FormatColumn[],
    private readonly budget: number,
  ) {
    this.values = columns.map(() => []);
    this.pieces = columns.map(() => []);
    // {"A":[],"B":[]}
    this.chars = 2 + columns.reduce((n, c, i) => n + JSON.stringify(c.name).length + 3 + (i ? 1 : 0), 0);
  }

  write(batch: RecordBatch): number {
    const readers = readersOf(batch);
    const n = batch.numRows;
    const cols = readers.map((r) => {
      const out = new Array<JsonValue>(n);
      for (let i = 0; i < n; i++) out[i] = r.json(i);
      return out;
    });
    const sep = this.rows ? 1 : 0;
    let pieces = cols.map((c) => JSON.stringify(c).slice(1, -1));
    let added = pieces.reduce((s, p) => s + p.length + (p ? sep : 0), 0);
    let taken = n;
    if (this.chars + added > this.budget) {
      taken = 0;
      added = 0;
      for (let i = 0; i < n; i++) {
        const cost = cols.reduce((s, c) => s + JSON.stringify(c[i]).length + (this.rows + i ? 1 : 0), 0);
        if (this.chars + added + cost > this.budget) break;
        added += cost;
        taken++;
      }
      pieces = cols.map((c) => JSON.stringify(c.slice(0, taken)).slice(1, -1));
    }
    if (taken) {
      cols.forEach((c, k) => {
        const target = this.values[k]!;
        for (let i = 0; i < taken; i++) target.push(c[i]!);
        this.pieces[k]!.push(pieces[k]!);
      });
      this.chars += added;
      this.rows += taken;
    }
    return taken;
  }

  finish(): { data: FormattedData; json: string } {
    const data: Record<string, JsonValue[]> = {};
    this.columns.forEach((c, k) => (data[c.name] = this.values[k]!));
    const json = `{${this.columns.map((c, k) => `${JSON.stringify(c.name)}:[${this.pieces[k]!.join(',')}]`).join(',')}}`;
    return { data, json };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Text formats: rows are written as text straight from the Arrow columns; the data is one string.

interface TextFormat {
  head: string;
  /**
   * Pushes the text of row i of the batch onto `out` (pieces, joined once per batch: no intermediate strings);
   * `index` counts rows over the whole answer (0-based).
   */
  row(readers: ColumnReader[], i: number, index: number, out: string[]): void;
  /** Closes the text given how many rows were written. */
  tail(rows: number): string;
}

class TextWriter implements TableWriter {
  rows = 0;
  chars: number;
  private readonly raw: string[] = [];
  private readonly escaped: string[] = [];
  constructor(
    private readonly format: TextFormat,
    private readonly budget: number,
  ) {
    this.raw.push(format.head);
    this.escaped.push(escapeJson(format.head));
    // The closing text is short and known in size within a few characters: reserve the empty-table form's size.
    this.chars = 2 + this.escaped[0]!.length + escapeJson(format.tail(1)).length;
  }

  write(batch: RecordBatch): number {
    const readers = readersOf(batch);
    const n = batch.numRows;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) this.format.row(readers, i, this.rows + i, parts);
    let piece = parts.join('');
    let escaped = escapeJson(piece);
    let taken = n;
    if (this.chars + escaped.length > this.budget) {
      taken = 0;
      const kept: string[] = [];
      let used = this.chars;
      for (let i = 0; i < n; i++) {
        const one: string[] = [];
        this.format.row(readers, i, this.rows + i, one);
        const r = one.join('');
        const e = escapeJson(r).length;
        if (used + e > this.budget) break;
        used += e;
        kept.push(r);
        taken++;
      }
      piece = kept.join('');
      escaped = escapeJson(piece);
    }
    if (taken) {
      this.raw.push(piece);
      this.escaped.push(escaped);
      this.chars += escaped.length;
      this.rows += taken;
    }
    return taken;
  }

  finish(): { data: FormattedData; json: string } {
    const tail = this.format.tail(this.rows);
    this.raw.push(tail);
    this.escaped.push(escapeJson(tail));
    return { data: this.raw.join(''), json: `"${this.escaped.join('')}"` };
  }
}

/** A string's JSON form without the surrounding quotes (JSON escaping is per character, so pieces concatenate). */
function escapeJson(s: string): string {
  return JSON.stringify(s).slice(1, -1);
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
  const quote = (s: string): string => `"${s.replace(/"/g, '""')}"`;
  const needsQuote = /[",\r\n]/;
  // Text columns are always quoted; numbers stay bare, including "NaN" and longs beyond 2^53 (strings in JSON).
  const textual = columns.map(
    (c) => TEXT_TYPES.has(c.type) || c.type.endsWith('[]') || !KNOWN_TYPES.has(c.type),
  );
  const header =
    columns.map((c) => (/[",\r\n]|^\s|\s$/.test(c.name) ? quote(c.name) : c.name)).join(',') + '\n';
  return {
    head: header,
    row(readers, i, _index, out) {
      const last = readers.length - 1;
      for (let c = 0; c <= last; c++) {
        const s = readers[c]!.text(i);
        if (s !== null) {
          if (textual[c]) {
            if (s.includes('"')) out.push(quote(s));
            else out.push('"', s, '"');
          } else out.push(needsQuote.test(s) ? quote(s) : s);
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
