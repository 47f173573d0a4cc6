/** Decimal digits as ASCII bytes, written right to left two at a time (the byte path's integers and doubles). */

/** "00" to "99" as ASCII, two bytes each. */
export const PAIRS = Uint8Array.from(
  { length: 200 },
  (_, k) => 48 + (k & 1 ? (k >> 1) % 10 : Math.floor((k >> 1) / 10)),
);

/** Decimal digits of a non-negative safe integer, by comparison (no division). */
export function digitCount(v: number): number {
  if (v < 1e5) return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 1e4 ? 4 : 5;
  if (v < 1e10) return v < 1e6 ? 6 : v < 1e7 ? 7 : v < 1e8 ? 8 : v < 1e9 ? 9 : 10;
  let n = 11;
  for (let x = 1e11; v >= x && n < 16; x *= 10) n++;
  return n;
}

/** Writes the digits of the integer 0 <= v < 2^31 so that they end at `end`; returns where they start. */
export function digitsBefore(buf: Uint8Array, end: number, v: number): number {
  while (v >= 100) {
    const next = (v / 100) | 0;
    const pair = (v - next * 100) << 1;
    buf[--end] = PAIRS[pair + 1]!;
    buf[--end] = PAIRS[pair]!;
    v = next;
  }
  if (v >= 10) {
    buf[--end] = PAIRS[(v << 1) + 1]!;
    buf[--end] = PAIRS[v << 1]!;
  } else buf[--end] = 48 + v;
  return end;
}
