import { stringify as toYaml } from 'yaml';
import type { JsonValue } from '../deephaven/json-values.js';

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
  throw new Error(`Invalid format '${requested}'. Valid options: ${ALL_FORMAT_NAMES.join(', ')}`);
}

export interface FormatColumn {
  name: string;
  type: string;
}

export type FormattedData = string | Record<string, JsonValue[]> | Array<Record<string, JsonValue>>;

/** Row-major values (one array per row, in column order) → the requested representation. */
export function formatRows(format: TableFormat, columns: FormatColumn[], rows: JsonValue[][]): FormattedData {
  return FORMATTERS[format](columns, rows);
}

const FORMATTERS: Record<TableFormat, (c: FormatColumn[], r: JsonValue[][]) => FormattedData> = {
  'json-row': rowObjects,
  'json-column': (columns, rows) =>
    Object.fromEntries(columns.map((c, i) => [c.name, rows.map((r) => r[i]!)])),
  csv,
  'markdown-table': markdownTable,
  'markdown-kv': markdownKv,
  yaml: (columns, rows) => toYaml({ records: rowObjects(columns, rows) }, { lineWidth: 0 }),
  xml,
};

function rowObjects(columns: FormatColumn[], rows: JsonValue[][]): Array<Record<string, JsonValue>> {
  // Column names are Java identifiers (never integer-like), so object key order is column order.
  return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c.name, r[i]!])));
}

/** Scalars as text; arrays as JSON (the only unambiguous text for a nested value). */
function text(v: JsonValue): string {
  if (v === null) return '';
  if (Array.isArray(v)) return JSON.stringify(v);
  return String(v);
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

/**
 * RFC 4180: a header row, `\n` line ends, fields quoted when they hold `,`, `"`, CR/LF or edge spaces, and every
 * string value quoted so an empty string ("") differs from null (an empty field).
 */
function csv(columns: FormatColumn[], rows: JsonValue[][]): string {
  const quote = (s: string): string => `"${s.replace(/"/g, '""')}"`;
  // Text columns are always quoted; numbers stay bare, including "NaN" and longs beyond 2^53 (strings in JSON).
  const textual = columns.map(
    (c) => TEXT_TYPES.has(c.type) || c.type.endsWith('[]') || !KNOWN_TYPES.has(c.type),
  );
  const field = (v: JsonValue, i: number): string => {
    if (v === null) return '';
    const s = text(v);
    return textual[i] || /[",\r\n]/.test(s) ? quote(s) : s;
  };
  const header = columns.map((c) => (/[",\r\n]|^\s|\s$/.test(c.name) ? quote(c.name) : c.name)).join(',');
  return [header, ...rows.map((r) => r.map(field).join(','))].join('\n') + '\n';
}

/** GitHub-flavoured table: `\` and `|` escaped, line breaks as <br>, null as an empty cell. */
function markdownTable(columns: FormatColumn[], rows: JsonValue[][]): string {
  const cell = (s: string): string =>
    s
      .replace(/\\/g, '\\\\')
      .replace(/\|/g, '\\|')
      .replace(/\r?\n|\r/g, '<br>');
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [
    line(columns.map((c) => cell(c.name))),
    line(columns.map(() => '---')),
    ...rows.map((r) => line(r.map((v) => cell(text(v))))),
  ].join('\n');
}

/** One `## Record n` block per row, `Column: value` lines; null as `null`, line breaks as `\n`. */
function markdownKv(columns: FormatColumn[], rows: JsonValue[][]): string {
  const value = (v: JsonValue): string =>
    v === null ? 'null' : text(v).replace(/\\/g, '\\\\').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
  return rows
    .map((r, i) => [`## Record ${i + 1}`, ...columns.map((c, j) => `${c.name}: ${value(r[j]!)}`)].join('\n'))
    .join('\n\n');
}

const INVALID_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
function xmlText(s: string): string {
  return s.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;');
}

/** Valid XML whatever the column names: names go in attributes, never in element names. */
function xml(columns: FormatColumn[], rows: JsonValue[][]): string {
  const value = (v: JsonValue): string => {
    if (v === null) return '';
    if (Array.isArray(v))
      return v.map((x) => (x === null ? '<item null="true"/>' : `<item>${value(x)}</item>`)).join('');
    return xmlText(String(v));
  };
  const field = (c: FormatColumn, v: JsonValue): string =>
    v === null
      ? `<field name="${xmlAttr(c.name)}" null="true"/>`
      : `<field name="${xmlAttr(c.name)}">${value(v)}</field>`;
  const records = rows.map(
    (r, i) => `  <record index="${i}">${columns.map((c, j) => field(c, r[j]!)).join('')}</record>`,
  );
  return ['<?xml version="1.0" encoding="UTF-8"?>', '<records>', ...records, '</records>'].join('\n') + '\n';
}
