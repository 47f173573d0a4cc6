import type { dh as DhType } from '@deephaven/jsapi-types';
import { columnsOf, type FormatColumn } from '../formats/arrow-columns.js';
import {
  TEXT,
  tableWriter,
  type Encoding,
  type FormattedData,
  type TableFormat,
} from '../formats/table-formats.js';
import { InvalidRequestError } from '../util/errors.js';
import { withTimeout } from '../util/timeout.js';
import { queryTable, type SortKey } from './flight/table-query.js';
import { listTables } from './variables.js';
import type { WorkerConnection } from './worker-connection.js';
import { quote } from '../util/quote.js';
import { logger } from '../util/logger.js';

/**
 * Opens a table by name; the error lists the tables that do exist. The caller closes it. Callers opening several
 * tables pass the listing they already have, so the worker's variables are read once.
 */
export async function openTable(
  conn: WorkerConnection,
  name: string,
  known?: DhType.ide.VariableDefinition[],
): Promise<DhType.Table> {
  const tables = known ?? (await listTables(conn));
  const def = tables.find((t) => t.title === name);
  if (!def) throw noSuchTable(name, tables);
  return (await conn.ide.getObject(def)) as DhType.Table;
}

export interface ColumnInfo {
  name: string;
  type: string;
}

/** The reference's meta-table rows: Name, DataType (Java type), ColumnType, IsPartitioning. */
export interface MetaRow {
  Name: string;
  DataType: string;
  ColumnType: 'Normal' | 'Partitioning';
  IsPartitioning: boolean;
  Description?: string;
}

export function metaRows(table: DhType.Table): MetaRow[] {
  return table.columns.map((c) => ({
    Name: c.name,
    DataType: c.type,
    ColumnType: c.isPartitionColumn ? 'Partitioning' : 'Normal',
    IsPartitioning: c.isPartitionColumn,
    ...(c.description ? { Description: c.description } : {}),
  }));
}

export interface ReadOptions {
  /** Row cap; undefined reads the whole table (still subject to the size cap). */
  maxRows?: number;
  /** First rows (true) or last rows (false). */
  head: boolean;
  /** Rows skipped from the start (head) or the end (tail) of the filtered, sorted table. */
  offset?: number;
  columns?: string[];
  filters?: string[];
  sort?: SortKey[];
  format: TableFormat;
  /** The data's character budget (as JSON.stringify writes it) given the columns read; rows stop there. */
  maxChars: number | ((columns: FormatColumn[]) => number);
  timeoutMs: number;
}

export interface TableData<P = string> {
  columns: FormatColumn[];
  /** The data value's JSON text (as JSON.stringify writes it), in encoded pieces, in order. */
  pieces: P[];
  rowCount: number;
  /** Rows after filters at the moment of the read (what offset and max_rows page through). */
  totalRows: number;
  /** Position of the first row returned, counted from the start of the filtered, sorted table. */
  first: number;
  /** What stopped the read short of the rows asked for, if anything. */
  limitedBy?: 'max_rows' | 'size';
  refreshing: boolean;
}

/**
 * Reads rows over Arrow Flight and formats them as they arrive. Everything that reduces the rows happens on the
 * worker; the size cap stops the stream (the call is cancelled, nothing more is read) once the formatted data
 * would pass it. The worker's exports are released whatever happens.
 */
export async function readTableData(
  conn: WorkerConnection,
  name: string,
  opts: ReadOptions,
): Promise<TableData>;
export async function readTableData<P>(
  conn: WorkerConnection,
  name: string,
  opts: ReadOptions,
  encoding: Encoding<P>,
): Promise<TableData<P>>;
export async function readTableData<P>(
  conn: WorkerConnection,
  name: string,
  opts: ReadOptions,
  encoding: Encoding<P> = TEXT as unknown as Encoding<P>,
): Promise<TableData<P>> {
  const started = performance.now();
  const read = await withTimeout(
    queryTable(
      conn.flight(),
      {
        table: name,
        maxRows: opts.maxRows,
        head: opts.head,
        offset: opts.offset ?? 0,
        columns: opts.columns,
        filters: opts.filters,
        sort: opts.sort,
        // Every format writes at least one character per cell (a separator, a key, a tag), so a budget of B
        // characters never holds more than B / columns rows. The budget without the schema's share is an upper
        // bound of the real one.
        rowsThatFit: (columnCount) => {
          const upper = typeof opts.maxChars === 'number' ? opts.maxChars : opts.maxChars([]);
          return columnCount > 0 && upper < Number.MAX_SAFE_INTEGER
            ? Math.floor(upper / columnCount) + 1
            : undefined;
        },
        timeoutMs: opts.timeoutMs,
      },
      () => missingTable(conn, name),
    ),
    opts.timeoutMs,
    `preparing the read of table '${name}'`,
    (late) => late.close(),
  );
  try {
    const columns = columnsOf(read.schema.fields);
    const budget = typeof opts.maxChars === 'number' ? opts.maxChars : opts.maxChars(columns);
    const writer = tableWriter(opts.format, columns, budget, encoding);
    let sizeCapped = false;
    const deadline = Date.now() + opts.timeoutMs;
    // Where the time goes (debug log): preparing on the worker, waiting for batches, formatting them.
    const prepared = performance.now();
    let waiting = 0;
    let formatting = 0;
    let batches = 0;
    for (;;) {
      const t0 = performance.now();
      const next = await withTimeout(
        read.batches.next(),
        Math.max(1, deadline - Date.now()),
        `reading table '${name}'`,
      );
      const t1 = performance.now();
      waiting += t1 - t0;
      if (next.done) break;
      batches++;
      const taken = writer.write(next.value);
      formatting += performance.now() - t1;
      if (taken < next.value.numRows) {
        sizeCapped = true;
        break;
      }
    }
    const pieces = writer.finish();
    logger.debug(
      {
        table: name,
        format: opts.format,
        rows: writer.rows,
        batches,
        early: read.early,
        prepareMs: Math.round(prepared - started),
        waitMs: Math.round(waiting),
        formatMs: Math.round(formatting),
      },
      'table read',
    );
    const limitedBy = sizeCapped ? 'size' : read.wanted < read.totalRows ? 'max_rows' : undefined;
    return {
      columns,
      pieces,
      rowCount: writer.rows,
      totalRows: read.totalRows,
      first: read.first,
      limitedBy,
      refreshing: read.refreshing,
    };
  } finally {
    // The stream is stopped at once; the exports are released in the background, not before the answer (a round
    // trip of 10-20 ms that the caller need not wait for; releasing never fails a read).
    void read.close();
  }
}

/** The data value of a read kept as text: a string for text formats, rows or columns for the JSON formats. */
export function dataOf(r: TableData): FormattedData {
  return JSON.parse(r.pieces.join('')) as FormattedData;
}

/** The error for a name that is not a table in the worker's scope (undefined when it is one after all). */
async function missingTable(conn: WorkerConnection, name: string): Promise<InvalidRequestError | undefined> {
  const tables = await listTables(conn);
  return tables.some((t) => t.title === name) ? undefined : noSuchTable(name, tables);
}

/** A name that is not among the worker's tables: the error lists those that are. */
function noSuchTable(name: string, tables: DhType.ide.VariableDefinition[]): InvalidRequestError {
  const known = tables.map((t) => t.title).filter(Boolean);
  return new InvalidRequestError(
    `no table named ${quote(name)} in the worker's scope; ${known.length ? `tables: ${known.join(', ')}` : 'it holds no tables'}`,
  );
}
