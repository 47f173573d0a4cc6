/**
 * The JSON values of Deephaven columns. One documented mapping for every format (docs/tools.md); the readers of
 * Arrow columns that apply it are in src/formats/arrow-columns.ts:
 *   byte/short/int → number · long → number when |x| ≤ 2^53−1, else a decimal string (no silent rounding) ·
 *   float → the shortest decimal that round-trips as a 32-bit float · double → number; NaN, Infinity and
 *   -Infinity as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers) · char → one-character
 *   string · Boolean → true/false · String → string · Instant and ZonedDateTime → ISO-8601 UTC with nanoseconds
 *   ("2023-11-14T22:13:20.123456789Z"; the zone is not transmitted) · LocalDate → "YYYY-MM-DD" ·
 *   LocalTime → "HH:MM:SS.nnnnnnnnn" · Duration → Java's "PT1H2M3.5S" · BigDecimal/BigInteger → exact decimal
 *   string · arrays and vectors → JSON arrays of mapped elements · other objects → the server's string form ·
 *   null → null.
 */
export type JsonValue = null | boolean | number | string | JsonValue[];

/** The shortest decimal that reads back as the same 32-bit float; non-finite values as their names. */
export function float32(n: number): JsonValue {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  const f = Math.fround(n);
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}

/** Epoch nanoseconds → ISO-8601 UTC with all nine fraction digits. */
export function isoFromEpochNanos(nanos: bigint | string): string {
  const total = typeof nanos === 'bigint' ? nanos : BigInt(nanos);
  let seconds = total / 1_000_000_000n;
  let frac = total % 1_000_000_000n;
  if (frac < 0n) {
    frac += 1_000_000_000n;
    seconds -= 1n;
  }
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${base}.${frac.toString().padStart(9, '0')}Z`;
}
