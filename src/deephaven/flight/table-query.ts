import { RecordBatchReader, type Field, type RecordBatch, type Schema } from 'apache-arrow';
import { InvalidRequestError } from '../../util/errors.js';
import { readArrowBatches } from './arrow-stream.js';
import { grpcDetails, type FlightDataStream, type FlightSession } from './flight-session.js';
import { method, type ExportedTableCreationResponse, type TableReference } from './protos.js';

/** One sort key: a column, ascending unless `descending`. */
export interface SortKey {
  column: string;
  descending: boolean;
}

export interface TableQuery {
  table: string;
  /** Row cap; undefined reads every row (the caller's size cap still applies). */
  maxRows?: number;
  /** First rows (true) or last rows (false). */
  head: boolean;
  /** Rows skipped from the start (head) or from the end (tail) before the cap. */
  offset: number;
  /** Columns to keep, in this order; undefined keeps all. */
  columns?: string[];
  /** Deephaven filter expressions, all of which must hold ("Price > 10", "Sym in `A`, `B`"). */
  filters?: string[];
  sort?: SortKey[];
  /**
   * The most rows the answer can hold given the number of columns read (the size cap): the worker is asked for
   * no more than that, so a capped read of a big table does not make it prepare rows nobody will read.
   */
  rowsThatFit?: (columnCount: number) => number | undefined;
  timeoutMs: number;
}

export interface TableRead {
  schema: Schema;
  /** Rows of the table after filters (what offset and max_rows page through), at the moment of the read. */
  totalRows: number;
  /** Position (after filters and sort) of the first row read. */
  first: number;
  /** Rows the server was asked for (the size cap may stop the read earlier). */
  wanted: number;
  refreshing: boolean;
  /** The rows were asked for together with the table's description (see queryTable). */
  early: boolean;
  batches: AsyncIterableIterator<RecordBatch>;
  /** Stops the read and releases what the query exported on the worker. Always call it. */
  close(): Promise<void>;
}

const scopeTicket = (name: string): Buffer => Buffer.from(`s/${name}`, 'utf8');

/**
 * Parses the Arrow Schema message of an ExportedTableCreationResponse. Deephaven sends it as an encapsulated IPC
 * message (continuation marker and length first); a bare flatbuffer is framed here.
 */
export function schemaFromHeader(header: Buffer): Schema {
  let framed = header;
  if (header.length < 4 || header.readUInt32LE(0) !== 0xffffffff) {
    const padded = (header.length + 7) & ~7;
    framed = Buffer.alloc(8 + padded);
    framed.writeUInt32LE(0xffffffff, 0);
    framed.writeInt32LE(padded, 4);
    header.copy(framed, 8);
  }
  const eos = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  const reader = RecordBatchReader.from(Buffer.concat([framed, eos]));
  reader.open();
  return reader.schema;
}

/** The row range [first, last) of a table of `total` rows that the query asks for. */
export function rowRange(
  total: number,
  q: Pick<TableQuery, 'maxRows' | 'head' | 'offset'>,
): [number, number] {
  if (q.head) {
    const first = Math.min(q.offset, total);
    return [first, q.maxRows === undefined ? total : Math.min(total, first + q.maxRows)];
  }
  const last = Math.max(0, total - q.offset);
  return [q.maxRows === undefined ? 0 : Math.max(0, last - q.maxRows), last];
}

function unknownColumns(wanted: string[], fields: Field[], what: string): void {
  const names = new Set(fields.map((f) => f.name));
  const bad = wanted.filter((c) => !names.has(c));
  if (bad.length)
    throw new InvalidRequestError(
      `${what}: no column named ${bad.map((b) => `'${b}'`).join(', ')}; the table's columns are: ${fields.map((f) => f.name).join(', ')}`,
    );
}

/**
 * Reads a table over Arrow Flight with every reduction done on the worker: a ticking table is snapshotted
 * first (one consistent state), then filtered, sorted, narrowed to the wanted columns and sliced to the wanted
 * rows, all as table operations on exports of this session; only the resulting rows travel. Exports are released
 * by close(), on success, error and cancellation alike.
 */
export async function queryTable(
  flight: FlightSession,
  q: TableQuery,
  notFound: () => Promise<InvalidRequestError | undefined>,
): Promise<TableRead> {
  const { timeoutMs } = q;
  const exports: Buffer[] = [];
  const release = (): Promise<void> => flight.release(exports.splice(0));
  /**
   * Rows [first, last) of `source` as a new export, and a DoGet of it sent at once, not after the Slice's answer
   * (one round trip less, 10-20 ms on a local worker): the worker accepts a session's own export ticket before
   * the operation that makes it arrives, and answers the DoGet once it is made. Both are handled here (either may
   * fail before it is awaited, if it ever is).
   */
  const sliceAndGet = (
    source: Buffer,
    first: number,
    last: number,
  ): { slice: Promise<unknown>; call: Promise<FlightDataStream> } => {
    const ticket = flight.newExportTicket();
    exports.push(ticket);
    const slice = flight.unary(
      method('TableService', 'Slice'),
      {
        result_id: { ticket },
        source_id: { ticket: { ticket: source } },
        first_position_inclusive: String(first),
        last_position_exclusive: String(last),
      },
      timeoutMs,
    );
    slice.catch(() => undefined);
    const call = flight.doGet(ticket, timeoutMs);
    call.catch(() => undefined);
    return { slice, call };
  };
  // A whole-table read (explicit max_rows, no steering) of a table last described as static and within max_rows
  // and the size cap sends its DoGet together with the description request, one round trip (10-40 ms) earlier,
  // and drops it if the description now says otherwise. Never for a table not known to be static: a DoGet of a
  // big ticking table makes the worker snapshot all of it before a cancel could stop it. For the same reason the
  // early DoGet reads a slice of the rows this read may return: a table replaced since by a big ticking one
  // costs the worker a snapshot of those rows, not of the whole table.
  let early: Promise<FlightDataStream> | undefined;
  const known = lastSeen(flight).get(q.table);
  /** The rows the early DoGet's slice holds at most: max_rows, and the size cap's bound as last described. */
  const earlyRows =
    known && q.maxRows !== undefined ? Math.min(q.maxRows, q.rowsThatFit?.(known.columns) ?? Infinity) : 0;
  if (
    known?.isStatic &&
    q.maxRows !== undefined &&
    known.size <= earlyRows &&
    q.head &&
    q.offset === 0 &&
    !q.filters?.length &&
    !q.sort?.length &&
    !q.columns
  )
    // A failed Slice fails the DoGet on its ticket too, which is where it is reported (when it is used).
    early = sliceAndGet(scopeTicket(q.table), 0, earlyRows).call;
  const dropEarly = (): void => {
    if (early) abandon(early);
    early = undefined;
  };
  try {
    let info: ExportedTableCreationResponse;
    try {
      info = await flight.unary<ExportedTableCreationResponse>(
        method('TableService', 'GetExportedTableCreationResponse'),
        { ticket: scopeTicket(q.table) },
        timeoutMs,
      );
    } catch (e) {
      throw (await notFound()) ?? e;
    }
    const fields = schemaFromHeader(info.schema_header).fields;
    remember(flight, q.table, { isStatic: info.is_static, size: Number(info.size), columns: fields.length });
    if (q.columns) unknownColumns(q.columns, fields, 'columns');
    if (q.sort)
      unknownColumns(
        q.sort.map((s) => s.column),
        fields,
        'sort',
      );

    // Snapshot → filter → sort → view, in one batch; intermediate results are never exported.
    const ops: object[] = [];
    let source: TableReference = { ticket: { ticket: scopeTicket(q.table) } };
    const add = (name: string, body: object): void => {
      ops.push({ [name]: { source_id: source, ...body } });
      source = { batch_offset: ops.length - 1 };
    };
    if (!info.is_static) add('snapshot', {});
    if (q.filters?.length) add('unstructured_filter', { filters: q.filters });
    if (q.sort?.length)
      add('sort', {
        sorts: q.sort.map((s) => ({
          column_name: s.column,
          is_absolute: false,
          direction: s.descending ? 'DESCENDING' : 'ASCENDING',
        })),
      });
    if (q.columns) add('view', { column_specs: q.columns });

    let total = Number(info.size);
    let refTicket = scopeTicket(q.table);
    if (ops.length) {
      const ticket = flight.newExportTicket();
      const last = ops[ops.length - 1] as Record<string, Record<string, unknown>>;
      Object.values(last)[0]!.result_id = { ticket };
      exports.push(ticket);
      let answers: ExportedTableCreationResponse[];
      try {
        answers = await flight.batch(ops, timeoutMs);
      } catch (e) {
        throw await explainFailure(flight, q, grpcDetails(e));
      }
      const failed = answers.find((a) => !a.success);
      if (failed) throw await explainFailure(flight, q, failed.error_info);
      const result = answers.find((a) => a.result_id?.ticket?.ticket.equals(ticket));
      if (!result)
        throw new Error('the worker did not answer for the exported result of the table operations');
      total = Number(result.size);
      refTicket = ticket;
    }

    const [first, wantedLast] = rowRange(total, q);
    const fit = q.rowsThatFit?.(q.columns?.length ?? fields.length);
    // The size cap keeps the first rows of the range: the rest is not sent.
    const last = fit !== undefined && wantedLast - first > fit ? first + fit : wantedLast;
    let call: Promise<FlightDataStream>;
    // The early DoGet serves when nothing is to be done to the table but read all of it, and its slice holds
    // every row (the size cap's bound on the rows depends on the column count, which may have changed).
    const reused = !ops.length && first === 0 && last === total && total <= earlyRows ? early : undefined;
    if (reused) {
      call = reused;
      early = undefined;
    } else if (first !== 0 || last !== total) {
      const rows = sliceAndGet(refTicket, first, last);
      call = rows.call;
      try {
        await rows.slice;
      } catch (e) {
        abandon(call);
        throw e;
      }
    } else call = flight.doGet(refTicket, timeoutMs);
    dropEarly();

    const stream = await readArrowBatches(await call);
    let closed = false;
    return {
      schema: stream.schema,
      totalRows: total,
      first,
      wanted: wantedLast - first,
      refreshing: !info.is_static,
      early: reused !== undefined,
      batches: stream.batches,
      close: async () => {
        if (closed) return;
        closed = true;
        stream.cancel();
        await release();
      },
    };
  } catch (e) {
    dropEarly();
    await release();
    throw e;
  }
}

interface Described {
  isStatic: boolean;
  size: number;
  columns: number;
}
/** Per session, what the last description of each table said (the most recent 256 tables). */
const described = new WeakMap<FlightSession, Map<string, Described>>();
function lastSeen(flight: FlightSession): Map<string, Described> {
  let seen = described.get(flight);
  if (!seen) described.set(flight, (seen = new Map()));
  return seen;
}
function remember(flight: FlightSession, table: string, d: Described): void {
  const seen = lastSeen(flight);
  seen.delete(table);
  seen.set(table, d);
  if (seen.size > 256) seen.delete(seen.keys().next().value!);
}

/** Cancels a DoGet nobody will read (its cancellation error is expected, not reported). */
function abandon(call: Promise<FlightDataStream>): void {
  void call.then(
    (c) => {
      c.on('error', () => undefined);
      c.cancel();
    },
    () => undefined,
  );
}

/**
 * A batch of operations failed: the worker's message says why, but not which input. Each filter is tried on
 * its own so the error can name the expression that is wrong.
 */
async function explainFailure(flight: FlightSession, q: TableQuery, detail: string): Promise<Error> {
  const reason = detail.trim() || 'the worker refused the table operations';
  for (const filter of q.filters ?? []) {
    const ticket = flight.newExportTicket();
    const ok = await flight
      .unary(
        method('TableService', 'UnstructuredFilter'),
        { result_id: { ticket }, source_id: { ticket: { ticket: scopeTicket(q.table) } }, filters: [filter] },
        q.timeoutMs,
      )
      .then(
        () => true,
        () => false,
      );
    await flight.release([ticket]);
    if (!ok)
      return new InvalidRequestError(
        `filters: the worker rejected the filter expression '${filter}' on table '${q.table}' (${reason}); use Deephaven query-language conditions such as "Price > 10", "Sym = \`AAPL\`" or "Sym in \`A\`, \`B\`"`,
      );
  }
  if (q.filters?.length || q.sort?.length || q.columns)
    return new InvalidRequestError(`the worker rejected the read of table '${q.table}': ${reason}`);
  return new Error(reason);
}
