/**
 * Deephaven column values → JSON values. One documented mapping for every format (docs/tools.md):
 *   byte/short/int → number · long → number when |x| ≤ 2^53−1, else a decimal string (no silent rounding) ·
 *   float → the shortest decimal that round-trips as a 32-bit float · double → number; NaN, Infinity and
 *   -Infinity as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers) · char → one-character
 *   string · Boolean → true/false · String → string · Instant and ZonedDateTime → ISO-8601 UTC with nanoseconds
 *   ("2023-11-14T22:13:20.123456789Z"; the JS API gives the instant, not the zone) · LocalDate → "YYYY-MM-DD" ·
 *   LocalTime → "HH:MM:SS.nnnnnnnnn" · BigDecimal/BigInteger → exact decimal string · arrays → JSON arrays of
 *   mapped elements (vectors too: the JS API hands them over as arrays) · other objects (Java collections) → the
 *   server's string preview · null → null.
 */
export type JsonValue = null | boolean | number | string | JsonValue[];

export type ValueMapper = (v: unknown) => JsonValue;

const isNullish = (v: unknown): v is null | undefined => v === null || v === undefined;

function finite(n: number): JsonValue {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return n;
}

function float32(n: number): JsonValue {
  if (!Number.isFinite(n)) return finite(n);
  const f = Math.fround(n);
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}

function wrapped(v: unknown): string {
  const inner = (v as { valueOf(): unknown }).valueOf();
  return typeof inner === 'string' ? inner : String(v);
}

function long(v: unknown): JsonValue {
  const s = typeof v === 'number' ? String(v) : wrapped(v);
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : s;
}

/** Epoch nanoseconds (decimal string) → ISO-8601 UTC with all nine fraction digits. */
export function isoFromEpochNanos(nanos: string): string {
  const total = BigInt(nanos);
  let seconds = total / 1_000_000_000n;
  let frac = total % 1_000_000_000n;
  if (frac < 0n) {
    frac += 1_000_000_000n;
    seconds -= 1n;
  }
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${base}.${frac.toString().padStart(9, '0')}Z`;
}

function dateTime(v: unknown): JsonValue {
  return isoFromEpochNanos(wrapped(v));
}

function generic(v: unknown): JsonValue {
  if (isNullish(v)) return null;
  if (typeof v === 'number') return finite(v);
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(generic);
  return wrapped(v);
}

const BY_TYPE: Record<string, (v: unknown) => JsonValue> = {
  byte: (v) => v as number,
  short: (v) => v as number,
  int: (v) => v as number,
  long,
  'java.lang.Long': long,
  float: (v) => float32(v as number),
  'java.lang.Float': (v) => float32(v as number),
  double: (v) => finite(v as number),
  'java.lang.Double': (v) => finite(v as number),
  char: (v) => (typeof v === 'number' ? String.fromCharCode(v) : String(v)),
  'java.lang.Character': (v) => (typeof v === 'number' ? String.fromCharCode(v) : String(v)),
  boolean: (v) => Boolean(v),
  'java.lang.Boolean': (v) => Boolean(v),
  'java.lang.String': (v) => String(v),
  'java.time.Instant': dateTime,
  'java.time.ZonedDateTime': dateTime,
  'java.time.LocalDate': (v) => String(v),
  'java.time.LocalTime': (v) => String(v),
  'java.math.BigDecimal': wrapped,
  'java.math.BigInteger': wrapped,
};

/** The mapper for a column of this Java type; decided once per column, not per cell. */
export function mapperFor(javaType: string): ValueMapper {
  if (javaType.endsWith('[]')) {
    const element = mapperFor(javaType.slice(0, -2));
    return (v) => (isNullish(v) ? null : Array.isArray(v) ? v.map(element) : generic(v));
  }
  const f = BY_TYPE[javaType];
  if (!f) return generic;
  return (v) => (isNullish(v) ? null : f(v));
}
