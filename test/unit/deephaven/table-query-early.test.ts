// The early DoGet of queryTable against a scripted stand-in for the worker's Flight session (the integration tests
// read real workers; what they cannot show is which DoGet a read used, and what the worker was asked to prepare).
import { EventEmitter } from 'node:events';
import { Field, Int32, Schema, Table, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { FlightSession } from '../../../src/deephaven/flight/flight-session.js';
import { method } from '../../../src/deephaven/flight/protos.js';
import { queryTable, type TableQuery } from '../../../src/deephaven/flight/table-query.js';

interface Described {
  isStatic: boolean;
  size: number;
  columns: number;
}

/**
 * Answers the description of every table with `described`; every DoGet resolves to a stream that fails when read
 * with `read <ticket>` (which tells the test which DoGet a read went on with) and records its cancel.
 */
class ScriptedFlight {
  log: string[] = [];
  cancelled: string[] = [];
  private n = 0;
  constructor(public described: Described) {}

  newExportTicket(): Buffer {
    return Buffer.from(`e/${++this.n}`);
  }

  unary(m: unknown, request: Record<string, unknown>): Promise<unknown> {
    if (m === method('TableService', 'GetExportedTableCreationResponse')) {
      this.log.push('describe');
      const d = this.described;
      const schema = new Schema(Array.from({ length: d.columns }, (_, k) => new Field(`C${k}`, new Int32())));
      return Promise.resolve({
        success: true,
        is_static: d.isStatic,
        size: String(d.size),
        schema_header: Buffer.from(tableToIPC(new Table(schema), 'stream')),
      });
    }
    if (m === method('TableService', 'Slice')) {
      const r = request as {
        result_id: { ticket: Buffer };
        first_position_inclusive: string;
        last_position_exclusive: string;
      };
      this.log.push(
        `Slice ${r.first_position_inclusive}..${r.last_position_exclusive} -> ${r.result_id.ticket.toString()}`,
      );
      return Promise.resolve({ success: true });
    }
    return Promise.reject(new Error('unexpected call'));
  }

  batch(ops: object[]): Promise<unknown[]> {
    this.log.push(`batch ${ops.map((o) => Object.keys(o)[0]).join(',')}`);
    // The answer names its result as a TableReference (a Ticket inside).
    const last = Object.values(ops[ops.length - 1]!)[0] as { result_id: { ticket: Buffer } };
    return Promise.resolve([
      { success: true, result_id: { ticket: last.result_id }, size: String(this.described.size) },
    ]);
  }

  doGet(ticket: Buffer): Promise<unknown> {
    const name = ticket.toString();
    this.log.push(`DoGet ${name}`);
    const stream = Object.assign(new EventEmitter(), {
      cancel: () => this.cancelled.push(name),
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error(`read ${name}`)) }),
    });
    return Promise.resolve(stream);
  }

  release(): Promise<void> {
    return Promise.resolve();
  }
}

const read = (flight: ScriptedFlight, q: Partial<TableQuery> = {}): Promise<unknown> =>
  queryTable(
    flight as unknown as FlightSession,
    { table: 't', maxRows: 100, head: true, offset: 0, timeoutMs: 1000, ...q },
    () => Promise.resolve(undefined),
  );
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('queryTable: the early DoGet', () => {
  it('is not sent for a table not yet described; the read goes on the table itself', async () => {
    const f = new ScriptedFlight({ isStatic: true, size: 50, columns: 2 });
    await expect(read(f)).rejects.toThrow('read s/t');
    expect(f.log).toEqual(['describe', 'DoGet s/t']);
  });

  it('is sent with the description, on a slice bounded by max_rows, and is the one read', async () => {
    const f = new ScriptedFlight({ isStatic: true, size: 50, columns: 2 });
    await read(f).catch(() => undefined);
    f.log = [];
    await expect(read(f)).rejects.toThrow('read e/1');
    // Asked for before the description's answer, and nothing else asked for after it.
    expect(f.log).toEqual(['Slice 0..100 -> e/1', 'DoGet e/1', 'describe']);
  });

  it('is bounded by the size cap too', async () => {
    const f = new ScriptedFlight({ isStatic: true, size: 50, columns: 2 });
    const rowsThatFit = (): number => 60;
    await read(f, { rowsThatFit }).catch(() => undefined);
    f.log = [];
    await expect(read(f, { rowsThatFit })).rejects.toThrow('read e/1');
    expect(f.log[0]).toBe('Slice 0..60 -> e/1');
  });

  it('is dropped when the table now ticks: the read snapshots it, and the early stream is cancelled', async () => {
    const f = new ScriptedFlight({ isStatic: true, size: 50, columns: 2 });
    await read(f).catch(() => undefined);
    f.described = { isStatic: false, size: 5_000_000, columns: 2 };
    f.log = [];
    await expect(read(f)).rejects.toThrow('read e/3');
    expect(f.log).toEqual([
      'Slice 0..100 -> e/1',
      'DoGet e/1',
      'describe',
      'batch snapshot',
      'Slice 0..100 -> e/3',
      'DoGet e/3',
    ]);
    await settle();
    expect(f.cancelled).toContain('e/1');
  });

  it('is not used when its slice may be short: the size cap allowed fewer rows for the old column count', async () => {
    // Two columns fit 60 rows; the table is replaced by one of one column and 80 rows, which fit 120.
    const f = new ScriptedFlight({ isStatic: true, size: 50, columns: 2 });
    const rowsThatFit = (columns: number): number => 120 / columns;
    await read(f, { rowsThatFit }).catch(() => undefined);
    f.described = { isStatic: true, size: 80, columns: 1 };
    f.log = [];
    await expect(read(f, { rowsThatFit })).rejects.toThrow('read s/t');
    expect(f.log).toEqual(['Slice 0..60 -> e/1', 'DoGet e/1', 'describe', 'DoGet s/t']);
    await settle();
    expect(f.cancelled).toContain('e/1');
  });
});
