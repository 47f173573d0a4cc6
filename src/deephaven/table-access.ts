import type { dh as DhType } from '@deephaven/jsapi-types';
import { UserError } from '../util/errors.js';
import { withTimeout } from '../util/timeout.js';
import { mapperFor, type JsonValue } from './json-values.js';
import { listTables } from './variables.js';
import type { WorkerConnection } from './worker-connection.js';

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
  if (!def) {
    const known = tables.map((t) => t.title).filter(Boolean);
    throw new UserError(
      `no table named '${name}' in the worker's scope; ${known.length ? `tables: ${known.join(', ')}` : 'it holds no tables'}`,
    );
  }
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
  /** Stop adding rows once their JSON text would exceed this many characters. */
  maxChars: number;
  timeoutMs: number;
}

export interface TableRows {
  columns: ColumnInfo[];
  rows: JsonValue[][];
  /** Rows in the table at the moment of the snapshot. */
  totalRows: number;
  /** What stopped the read short of the whole table, if anything. */
  limitedBy?: 'max_rows' | 'size';
  refreshing: boolean;
}

const CHUNK_ROWS = 10_000;

/**
 * Reads rows under both caps. A ticking table is frozen first (a server-side static copy), so every chunk
 * comes from one consistent state. Rows are fetched in chunks and kept only while the size budget lasts, so
 * memory stays bounded by the cap, not by the table.
 */
export async function readRows(conn: WorkerConnection, name: string, opts: ReadOptions): Promise<TableRows> {
  const live = await openTable(conn, name);
  let frozen: DhType.Table | undefined;
  try {
    const refreshing = live.isRefreshing;
    if (refreshing) frozen = await withTimeout(live.freeze(), opts.timeoutMs, `freezing table '${name}'`);
    const table = frozen ?? live;
    const total = table.size;
    const wanted = Math.min(opts.maxRows ?? total, total);
    const first = opts.head ? 0 : total - wanted;
    const columns = table.columns.map((c) => ({ name: c.name, type: c.type }));
    const mappers = table.columns.map((c) => mapperFor(c.type));
    const rows: JsonValue[][] = [];
    // Sized as json-row text (the widest common format): the values' JSON plus each row's `"name":` keys.
    const keyChars = columns.reduce((n, c) => n + JSON.stringify(c.name).length + 1, 0);
    let chars = 2;
    let sizeCapped = false;
    for (let start = first; start < first + wanted && !sizeCapped; start += CHUNK_ROWS) {
      const last = Math.min(start + CHUNK_ROWS, first + wanted) - 1;
      const snap = await withTimeout(
        table.createSnapshot({ columns: table.columns, rows: { first: start, last } }),
        opts.timeoutMs,
        `reading rows ${start}-${last} of table '${name}'`,
      );
      for (const r of snap.rows) {
        const row = table.columns.map((c, i) => mappers[i]!(r.get(c)));
        chars += JSON.stringify(row).length + keyChars + 1;
        if (chars > opts.maxChars) {
          sizeCapped = true;
          break;
        }
        rows.push(row);
      }
    }
    const limitedBy = sizeCapped ? 'size' : wanted < total ? 'max_rows' : undefined;
    return { columns, rows, totalRows: total, limitedBy, refreshing };
  } finally {
    frozen?.close();
    live.close();
  }
}
