import { describe, expect, it } from 'vitest';
import { withTimeout } from '../../../src/util/timeout.js';

describe('withTimeout', () => {
  it('releases what arrives after the deadline, and only then', async () => {
    const released: string[] = [];
    let open!: (v: string) => void;
    const late = new Promise<string>((r) => (open = r));
    await expect(withTimeout(late, 10, 'opening', (v) => released.push(v))).rejects.toThrow(
      /opening timed out after 10 ms/,
    );
    expect(released).toEqual([]);
    open('table');
    await late;
    await Promise.resolve();
    expect(released).toEqual(['table']);
  });

  it('hands over what arrives in time without releasing it', async () => {
    const released: string[] = [];
    expect(await withTimeout(Promise.resolve('table'), 1000, 'opening', (v) => released.push(v))).toBe(
      'table',
    );
    expect(released).toEqual([]);
  });
});
