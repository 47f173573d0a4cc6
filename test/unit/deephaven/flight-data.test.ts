import { describe, expect, it } from 'vitest';
import { decodeFlightData } from '../../../src/deephaven/flight/arrow-stream.js';

function field(tag: number, bytes: Uint8Array): Buffer {
  const key: number[] = [];
  let k = (tag << 3) | 2;
  while (k > 0x7f) {
    key.push((k & 0x7f) | 0x80);
    k >>>= 7;
  }
  key.push(k);
  return Buffer.concat([Buffer.from(key), Buffer.from([bytes.length]), bytes]);
}

describe('decodeFlightData', () => {
  it('finds data_header (2) and data_body (1000), skipping descriptor and app_metadata', () => {
    const msg = Buffer.concat([
      field(1, Buffer.from([8, 1])),
      field(2, Buffer.from('header')),
      field(3, Buffer.from('meta')),
      field(1000, Buffer.from('body-bytes')),
    ]);
    const d = decodeFlightData(msg);
    expect(d.header?.toString()).toBe('header');
    expect(d.body?.toString()).toBe('body-bytes');
  });
});
