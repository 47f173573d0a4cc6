import type { SortKey } from '../deephaven/flight/table-query.js';
import { InvalidRequestError } from '../util/errors.js';

/** Bounds on what one read may ask for; errors name the field and never echo a large input. */
export const READ_LIMITS = {
  columns: 10_000,
  filters: 100,
  sort: 100,
  expressionChars: 10_000,
  nameChars: 1_000,
} as const;

export interface ReadRequestInput {
  max_rows?: number | null;
  offset?: number | null;
  columns?: string[] | null;
  filters?: string | string[] | null;
  sort?: string[] | null;
}

export interface ReadRequest {
  maxRows?: number;
  offset: number;
  columns?: string[];
  filters?: string[];
  sort?: SortKey[];
}

const preview = (s: string): string => (s.length > 60 ? `${s.slice(0, 57)}...` : s);

function checkList(field: string, values: string[], max: number, maxChars: number): void {
  if (values.length > max)
    throw new InvalidRequestError(`${field}: at most ${max} entries, got ${values.length}`);
  values.forEach((v, i) => {
    if (!v.trim()) throw new InvalidRequestError(`${field}[${i}] is empty; remove it or give a value`);
    if (v.length > maxChars)
      throw new InvalidRequestError(
        `${field}[${i}] is ${v.length} characters long; the limit is ${maxChars}`,
      );
  });
}

/** Checks and normalises the read parameters of session_table_data, before anything is fetched. */
export function checkReadRequest(input: ReadRequestInput): ReadRequest {
  const { max_rows, offset } = input;
  if (max_rows !== null && max_rows !== undefined && max_rows < 0)
    throw new InvalidRequestError(`max_rows must be 0 or more (or null for all rows), got ${max_rows}`);
  if (offset !== null && offset !== undefined && offset < 0)
    throw new InvalidRequestError(`offset must be 0 or more, got ${offset}`);
  const out: ReadRequest = { maxRows: max_rows ?? undefined, offset: offset ?? 0 };

  if (input.columns) {
    checkList('columns', input.columns, READ_LIMITS.columns, READ_LIMITS.nameChars);
    if (!input.columns.length) throw new InvalidRequestError('columns is empty; omit it to get every column');
    const seen = new Set<string>();
    for (const c of input.columns) {
      if (seen.has(c)) throw new InvalidRequestError(`columns: '${preview(c)}' is listed twice`);
      seen.add(c);
    }
    out.columns = input.columns;
  }

  if (input.filters !== null && input.filters !== undefined) {
    const filters = typeof input.filters === 'string' ? [input.filters] : input.filters;
    checkList('filters', filters, READ_LIMITS.filters, READ_LIMITS.expressionChars);
    if (filters.length) out.filters = filters;
  }

  if (input.sort) {
    checkList('sort', input.sort, READ_LIMITS.sort, READ_LIMITS.nameChars + 1);
    out.sort = input.sort.map((raw, i) => {
      const s = raw.trim();
      const descending = s.startsWith('-');
      const column = (descending || s.startsWith('+') ? s.slice(1) : s).trim();
      if (!column)
        throw new InvalidRequestError(
          `sort[${i}] names no column; use "Col" for ascending or "-Col" for descending`,
        );
      return { column, descending };
    });
    if (!out.sort.length) delete out.sort;
  }
  return out;
}

/** Room kept in the size budget for the truncation note (its text is only known after the read). */
export const NOTE_RESERVE = 'x'.repeat(320);

export interface NoteInput {
  rowCount: number;
  totalRows: number;
  first: number;
  limitedBy?: 'max_rows' | 'size';
  head: boolean;
  offset: number;
  maxRows?: number | null;
  maxChars: number;
}

/** Why an answer holds fewer rows than match, in words an assistant can act on; undefined when complete. */
export function truncationNote(r: NoteInput): string | undefined {
  if (r.rowCount === r.totalRows) return undefined;
  const which = r.head ? 'first' : 'last';
  const range =
    r.offset === 0 && r.limitedBy === 'max_rows'
      ? `the ${which} ${r.rowCount} of ${r.totalRows} rows`
      : r.rowCount === 0
        ? `no rows of ${r.totalRows}`
        : `rows ${r.first + 1}-${r.first + r.rowCount} of ${r.totalRows}`;
  const next = r.offset + r.rowCount < r.totalRows ? `; next_offset=${r.offset + r.rowCount} continues` : '';
  if (r.limitedBy === 'size')
    return `Showing ${r.offset === 0 ? `the ${which} ${r.rowCount} of ${r.totalRows} rows` : range}: the answer reached the size cap of ${r.maxChars} characters (DH_MCP_MAX_RESPONSE_CHARS). Ask for fewer rows (max_rows) or columns (columns), or page with offset${next}.`;
  const params = [
    r.offset ? `offset=${r.offset}` : '',
    r.maxRows !== null && r.maxRows !== undefined ? `max_rows=${r.maxRows}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `Showing ${range}${params ? ` (${params})` : ''}${r.offset === 0 && r.limitedBy === 'max_rows' ? '' : next}.`;
}
