import { describe, expect, it } from 'vitest';
import { rowRange } from '../../../src/deephaven/flight/table-query.js';
import { checkReadRequest, truncationNote } from '../../../src/tools/table-read-request.js';

describe('checkReadRequest', () => {
  it('normalises sort keys, a single filter string, and defaults', () => {
    expect(checkReadRequest({ max_rows: 5, filters: 'A > 1', sort: ['B', '-C', '+D'] })).toEqual({
      maxRows: 5,
      offset: 0,
      filters: ['A > 1'],
      sort: [
        { column: 'B', descending: false },
        { column: 'C', descending: true },
        { column: 'D', descending: false },
      ],
    });
    expect(checkReadRequest({ max_rows: null })).toEqual({ maxRows: undefined, offset: 0 });
  });

  it('refuses bad values naming the field, without echoing large inputs', () => {
    expect(() => checkReadRequest({ offset: -2 })).toThrow('offset must be 0 or more, got -2');
    expect(() => checkReadRequest({ max_rows: -1 })).toThrow(/^max_rows must be 0 or more/);
    expect(() => checkReadRequest({ columns: [] })).toThrow('columns is empty; omit it to get every column');
    expect(() => checkReadRequest({ columns: ['A', 'A'] })).toThrow("columns: 'A' is listed twice");
    expect(() => checkReadRequest({ filters: ['ok', ' '] })).toThrow('filters[1] is empty');
    expect(() => checkReadRequest({ sort: ['-'] })).toThrow(/^sort\[0\] names no column/);
    const huge = 'x'.repeat(20_000);
    let message = '';
    try {
      checkReadRequest({ filters: [huge] });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('filters[0] is 20000 characters long; the limit is 10000');
    expect(() => checkReadRequest({ filters: Array<string>(101).fill('A') })).toThrow(
      'filters: at most 100 entries, got 101',
    );
  });
});

describe('rowRange', () => {
  it('head and tail windows with offset and cap, clipped to the table', () => {
    expect(rowRange(100, { head: true, offset: 0, maxRows: 10 })).toEqual([0, 10]);
    expect(rowRange(100, { head: true, offset: 95, maxRows: 10 })).toEqual([95, 100]);
    expect(rowRange(100, { head: true, offset: 200, maxRows: 10 })).toEqual([100, 100]);
    expect(rowRange(100, { head: false, offset: 0, maxRows: 10 })).toEqual([90, 100]);
    expect(rowRange(100, { head: false, offset: 5, maxRows: 10 })).toEqual([85, 95]);
    expect(rowRange(100, { head: false, offset: 95, maxRows: 10 })).toEqual([0, 5]);
    expect(rowRange(100, { head: false, offset: 3, maxRows: undefined })).toEqual([0, 97]);
    expect(rowRange(100, { head: true, offset: 0, maxRows: undefined })).toEqual([0, 100]);
  });
});

describe('truncationNote', () => {
  const base = { head: true, offset: 0, maxChars: 1000, first: 0 };
  it('says which cap applied and where the next page starts', () => {
    expect(truncationNote({ ...base, rowCount: 10, totalRows: 10 })).toBeUndefined();
    expect(truncationNote({ ...base, rowCount: 3, totalRows: 50, limitedBy: 'max_rows', maxRows: 3 })).toBe(
      'Showing the first 3 of 50 rows (max_rows=3).',
    );
    expect(
      truncationNote({
        ...base,
        offset: 10,
        first: 10,
        rowCount: 4,
        totalRows: 50,
        limitedBy: 'max_rows',
        maxRows: 4,
      }),
    ).toBe('Showing rows 11-14 of 50 (offset=10, max_rows=4); next_offset=14 continues.');
    expect(truncationNote({ ...base, rowCount: 7, totalRows: 50, limitedBy: 'size', maxRows: null })).toMatch(
      /^Showing the first 7 of 50 rows: the answer reached the size cap of 1000 characters \(DH_MCP_MAX_RESPONSE_CHARS\).*next_offset=7 continues\.$/,
    );
  });
});
