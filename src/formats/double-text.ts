/**
 * A double's shortest round-trip decimal, written as ASCII bytes, exactly as `String(d)` writes it, without a JS
 * string: `String(d)` costs about half of formatting a typical table (a heap string per cell, then copied). This
 * covers the fixed-notation range where cells live (1e-6 ≤ |d| < 1e15); the caller falls back to `String(d)` for
 * everything else and for the rare values the fast path cannot decide (see below).
 *
 * Method: x = |d| × 10^j is computed exactly as a double-double (Dekker's product, 10^j exact for j ≤ 22). The
 * decimals that read back as d are the integers n within d's rounding interval (half an ulp either side, scaled
 * by the same 10^j, also exact). Levels j give 15, 16 and 17 significant digits; the first level holding such an
 * integer gives the shortest digits, and the integer nearest to x among them is the closest (ECMAScript
 * Number::toString picks the shortest, then the closest). At 15 digits the interval is narrower than 1, so the
 * candidate is unique and any shorter decimal is it with trailing zeros; at 16 and 17 digits a candidate ending in
 * 0 would have been found one level up, so all have the same length. A value whose nearest integer is within 1e-9
 * of the interval's edge or of a tie is left to `String(d)`: the double-double arithmetic is exact to about 1e-16
 * there, so every answer given is the exact one. Powers of two (lopsided intervals) are left to it as well.
 */

import { digitCount, digitsBefore, PAIRS } from './digits.js';

const SPLIT = 134217729; // 2^27 + 1: Veltkamp's splitter for 53-bit mantissas
const EPS = 1e-9;
const LOG10_2 = 0.3010299956639812;
const POW10: number[] = [];
const POW10_HI: number[] = [];
const POW10_LO: number[] = [];
for (let k = 0; k <= 22; k++) {
  const p = Number(`1e${k}`); // exact: 10^k fits a double's mantissa up to k = 22
  const c = SPLIT * p;
  const hi = c - (c - p);
  POW10.push(p);
  POW10_HI.push(hi);
  POW10_LO.push(p - hi);
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
/** The bit tricks below read the high word at index 1. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Writes the shortest decimal of the finite non-integer `d = values[i]` (its sign included) at `buf[pos]` and returns the
 * position after it, or -1 (nothing written) when `String(d)` must do it. `buf` needs 25 bytes from `pos`.
 */
export function writeShortestDouble(values: Float64Array, i: number, buf: Uint8Array, pos: number): number {
  // Read here rather than passed in: a double argument is boxed on every call that is not inlined.
  const d = values[i]!;
  const a = d < 0 ? -d : d;
  if (!(a >= 1e-6 && a < 1e15) || !LITTLE_ENDIAN) return -1;
  bits[0] = a;
  const high = words[1]!;
  const low = words[0]!;
  if ((high & 0xfffff) === 0 && low === 0) return -1;
  // Half an ulp of a: 2^(e - 1076) for the biased exponent e, built from its bits (exact).
  words[1] = ((high >>> 20) - 53) << 20;
  words[0] = 0;
  const halfUlp = bits[0];

  const c = SPLIT * a;
  const ah = c - (c - a);
  const al = a - ah;
  // The 17-digit level j = 16 - e10 must put x below 1e17 (so the 15-digit level's interval is narrower than 1),
  // and should put it at or above 1e16 (so the 17-digit level is reached); both are checked on the rounded
  // product, which is monotone and meets 1e16 and 1e17 exactly. e10 is estimated from the binary exponent (at
  // most one too small), then corrected.
  let top = Math.min(22, 16 - Math.floor(((high >>> 20) - 1023) * LOG10_2));
  const x17 = a * POW10[top]!;
  if (x17 >= 1e17) top--;
  else if (x17 < 1e16) top++;
  if (top < 2 || top > 22) return -1;

  for (let j = top - 2; j <= top; j++) {
    const p = POW10[j]!;
    const hi = a * p;
    const lo = ah * POW10_HI[j]! - hi + ah * POW10_LO[j]! + al * POW10_HI[j]! + al * POW10_LO[j]!;
    const h = halfUlp * p;
    const whole = Math.floor(hi);
    const s = hi - whole + lo;
    const t = Math.floor(s);
    const f = s - t;
    const up = f > 0.5;
    const dist = up ? 1 - f : f;
    if (dist > h + EPS) continue;
    // Too close to the interval's edge, or to a tie between two candidates, to be sure: String(d) decides.
    if (dist > h - EPS || Math.abs(f - 0.5) < EPS) return -1;
    // whole + t + up may pass 2^53, so it goes on as q × 10^8 + r, both exact integers below 2^31.
    let q = Math.floor(whole / 1e8);
    let r = whole - q * 1e8 + t + (up ? 1 : 0);
    while (r < 0) {
      r += 1e8;
      q--;
    }
    while (r >= 1e8) {
      r -= 1e8;
      q++;
    }
    return emit(d < 0, q | 0, r | 0, j, buf, pos);
  }
  return -1;
}

/** Writes q × 10^8 + r (r < 10^8) so that its digits end at `end`. */
function writeDigits(buf: Uint8Array, end: number, q: number, r: number): void {
  if (q === 0) {
    digitsBefore(buf, end, r);
    return;
  }
  for (let k = 0; k < 4; k++) {
    const next = (r / 100) | 0;
    const pair = (r - next * 100) << 1;
    buf[--end] = PAIRS[pair + 1]!;
    buf[--end] = PAIRS[pair]!;
    r = next;
  }
  digitsBefore(buf, end, q);
}

/** Writes (q × 10^8 + r) × 10^-j in fixed notation, trailing zeros of the fraction dropped. */
function emit(negative: boolean, q: number, r: number, j: number, buf: Uint8Array, pos: number): number {
  // Trailing zeros of the fraction (only the 15-digit level can have them).
  let fraction = j;
  while (fraction > 0 && r % 10 === 0) {
    if (q === 0) r = (r / 10) | 0;
    else {
      const q10 = (q / 10) | 0;
      r = r / 10 + (q - q10 * 10) * 1e7;
      q = q10;
    }
    fraction--;
  }
  const length = q > 0 ? 8 + digitCount(q) : digitCount(r);
  let p = pos;
  if (negative) buf[p++] = 45;
  if (length <= fraction) {
    buf[p++] = 48;
    buf[p++] = 46;
    for (let k = length; k < fraction; k++) buf[p++] = 48;
    writeDigits(buf, p + length, q, r);
    return p + length;
  }
  // The digits go one place to the right, then the integer part moves back left and the point follows it.
  writeDigits(buf, p + 1 + length, q, r);
  const intLength = length - fraction;
  for (let k = 0; k < intLength; k++) buf[p + k] = buf[p + 1 + k]!;
  if (fraction === 0) return p + length;
  buf[p + intLength] = 46;
  return p + 1 + length;
}
