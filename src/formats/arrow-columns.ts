import { isAscii } from 'node:buffer';
import { makeVector, Type, type Data, type Field, type RecordBatch } from 'apache-arrow';
import { float32, isoFromEpochNanos, type JsonValue } from '../deephaven/json-values.js';

/**
 * Arrow columns as Deephaven sends them → the documented JSON mapping (docs/tools.md), read straight from the
 * Arrow buffers: one reader per column and batch, no per-cell objects beyond the value itself.
 *
 * Deephaven's Flight encoding (BarrageUtil.arrowTypeFor): Boolean → Bool, char → Uint16, byte/short/int/long →
 * Int8/16/32/64, float/double → Float32/64, Instant and ZonedDateTime → Timestamp(ns, UTC), LocalDate →
 * Date(ms), LocalTime → Time(ns), Duration → Duration(ns), BigDecimal/BigInteger → Binary, arrays and vectors →
 * List, anything else → Utf8 (the server's toString). Null sentinels arrive as Arrow nulls. The Java type is in
 * the field metadata under `deephaven:type`.
 */
export interface FormatColumn {
  name: string;
  /** The Java type, e.g. int, java.lang.String, java.time.Instant. */
  type: string;
}

/**
 * A column of one batch. `text` is the JSON value printed as text: null → null, arrays as JSON. `jsonText` is the
 * value's JSON token exactly as JSON.stringify writes it (`null`, `1.5`, `"NaN"`, `"a\"b"`), without building
 * the value first where the type allows.
 */
export interface ColumnReader {
  isNull(i: number): boolean;
  json(i: number): JsonValue;
  text(i: number): string | null;
  jsonText(i: number): string;
}

const DH_TYPE = 'deephaven:type';

export function javaTypeOf(field: Field): string {
  return field.metadata.get(DH_TYPE) ?? arrowFallbackType(field);
}

export function columnsOf(fields: readonly Field[]): FormatColumn[] {
  return fields.map((f) => ({ name: f.name, type: javaTypeOf(f) }));
}

function arrowFallbackType(field: Field): string {
  return String(field.type);
}

export function readersOf(batch: RecordBatch): ColumnReader[] {
  return batch.schema.fields.map((f, c) => readerFor(batch.data.children[c]!, javaTypeOf(f)));
}

type Values = (i: number) => JsonValue;

function nullCheck(data: Data): (i: number) => boolean {
  const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined;
  if (!bitmap || bitmap.length === 0) return () => false;
  const offset = data.offset;
  return (i) => {
    const j = offset + i;
    return (bitmap[j >> 3]! & (1 << (j & 7))) === 0;
  };
}

/** Signed 64-bit integers as two 32-bit halves: exact numbers where safe, no BigInt on the common path. */
function int64Reader(data: Data): { num: (i: number) => number | undefined; big: (i: number) => bigint } {
  const values = data.values as BigInt64Array;
  const halves = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  return {
    num: (i) => {
      const hi = halves[2 * i + 1]!;
      if (hi < -2097152 || hi >= 2097152) return undefined;
      const n = hi * 4294967296 + (halves[2 * i]! >>> 0);
      return Number.isSafeInteger(n) ? n : undefined;
    },
    big: (i) => values[i]!,
  };
}

function finiteOrName(n: number): JsonValue {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return n;
}

function twoDigits(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Nanoseconds since midnight → HH:MM:SS.nnnnnnnnn */
function localTime(nanos: bigint): string {
  const secs = Number(nanos / 1_000_000_000n);
  const frac = Number(nanos % 1_000_000_000n);
  return `${twoDigits(Math.floor(secs / 3600))}:${twoDigits(Math.floor(secs / 60) % 60)}:${twoDigits(secs % 60)}.${String(frac).padStart(9, '0')}`;
}

/** Nanoseconds → Java's Duration.toString(): PT8H6M12.345S */
function duration(nanos: bigint): string {
  if (nanos === 0n) return 'PT0S';
  const neg = nanos < 0n;
  let n = neg ? -nanos : nanos;
  const hours = n / 3_600_000_000_000n;
  n %= 3_600_000_000_000n;
  const minutes = n / 60_000_000_000n;
  n %= 60_000_000_000n;
  const seconds = n / 1_000_000_000n;
  const frac = (n % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  const sign = neg ? '-' : '';
  let s = 'PT';
  if (hours) s += `${sign}${hours}H`;
  if (minutes) s += `${sign}${minutes}M`;
  if (seconds || frac) s += `${sign}${seconds}${frac ? `.${frac}` : ''}S`;
  return s;
}

function twosComplement(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (bytes[0]! & 0x80) v -= 1n << BigInt(bytes.length * 8);
  return v;
}

/** Deephaven's BigDecimal encoding: int32 LE scale, then the unscaled value big-endian two's complement. */
export function decodeBigDecimal(bytes: Uint8Array): string {
  const scale = new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true);
  const unscaled = twosComplement(bytes.subarray(4));
  const neg = unscaled < 0n;
  let digits = (neg ? -unscaled : unscaled).toString();
  if (scale <= 0) digits += '0'.repeat(-scale);
  else {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return neg ? `-${digits}` : digits;
}

function timestampFactor(unit: number): bigint {
  // TimeUnit: SECOND 0, MILLISECOND 1, MICROSECOND 2, NANOSECOND 3
  return [1_000_000_000n, 1_000_000n, 1_000n, 1n][unit] ?? 1n;
}

/** The JSON values of one column of one batch (nulls handled by the caller). */
function valuesOf(data: Data, javaType: string): Values {
  const type = data.type as {
    typeId: number;
    bitWidth?: number;
    isSigned?: boolean;
    precision?: number;
    unit?: number;
  };
  switch (type.typeId) {
    case Type.Int: {
      if (type.bitWidth === 64) {
        const r = int64Reader(data);
        return (i) => r.num(i) ?? r.big(i).toString();
      }
      const values = data.values as Int32Array;
      if (type.bitWidth === 16 && !type.isSigned) return (i) => String.fromCharCode(values[i]!);
      return (i) => values[i]!;
    }
    case Type.Float: {
      const values = data.values as Float64Array;
      if (type.precision === 1) return (i) => float32(values[i]!);
      if (type.precision === 0) return (i) => float32(makeVector(data).get(i) as number);
      return (i) => finiteOrName(values[i]!);
    }
    case Type.Bool: {
      const bits = data.values as Uint8Array;
      const offset = data.offset;
      return (i) => {
        const j = offset + i;
        return (bits[j >> 3]! & (1 << (j & 7))) !== 0;
      };
    }
    case Type.Timestamp: {
      const r = int64Reader(data);
      const factor = timestampFactor(type.unit ?? 3);
      return (i) => isoFromEpochNanos(r.big(i) * factor);
    }
    case Type.Date: {
      if (type.unit === 0) {
        const days = data.values as Int32Array;
        return (i) => new Date(days[i]! * 86_400_000).toISOString().slice(0, 10);
      }
      const r = int64Reader(data);
      return (i) => new Date(Number(r.big(i))).toISOString().slice(0, 10);
    }
    case Type.Time: {
      const factor = timestampFactor(type.unit ?? 3);
      if (type.bitWidth === 64) {
        const r = int64Reader(data);
        return (i) => localTime(r.big(i) * factor);
      }
      const values = data.values as Int32Array;
      return (i) => localTime(BigInt(values[i]!) * factor);
    }
    case Type.Duration: {
      const r = int64Reader(data);
      const factor = timestampFactor(type.unit ?? 3);
      return (i) => duration(r.big(i) * factor);
    }
    case Type.Binary: {
      const offsets = data.valueOffsets as Int32Array;
      const bytes = data.values as Uint8Array;
      const at = (i: number): Uint8Array => bytes.subarray(offsets[i]!, offsets[i + 1]!);
      if (javaType === 'java.math.BigDecimal') return (i) => decodeBigDecimal(at(i));
      if (javaType === 'java.math.BigInteger') return (i) => twosComplement(at(i)).toString();
      return (i) => Array.from(at(i), (b) => (b << 24) >> 24); // byte[]: signed Java bytes
    }
    case Type.List: {
      const offsets = data.valueOffsets as Int32Array;
      const child = data.children[0]!;
      const element = readerFor(child, componentType(javaType));
      return (i) => {
        const out: JsonValue[] = [];
        for (let k = offsets[i]!; k < offsets[i + 1]!; k++) out.push(element.json(k));
        return out;
      };
    }
    case Type.FixedSizeList: {
      const size = (data.type as unknown as { listSize: number }).listSize;
      const element = readerFor(data.children[0]!, componentType(javaType));
      return (i) => {
        const out: JsonValue[] = [];
        for (let k = i * size; k < (i + 1) * size; k++) out.push(element.json(k));
        return out;
      };
    }
    default: {
      const vector = makeVector(data);
      return (i) => generic(vector.get(i));
    }
  }
}

function componentType(javaType: string): string {
  if (javaType.endsWith('[]')) return javaType.slice(0, -2);
  // Vectors: IntVector → int, ObjectVector → unknown (the element metadata is not needed for List children).
  const m = /^io\.deephaven\.vector\.(Byte|Char|Short|Int|Long|Float|Double)Vector/.exec(javaType);
  return m ? m[1]!.toLowerCase() : '';
}

function generic(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return finiteOrName(v);
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(generic);
  return String(v);
}

/**
 * Strings (readerFor reads every Utf8 column, list elements included, through this): a batch whose bytes are all
 * ASCII is decoded once and cut into substrings (the common case, several times faster than decoding each cell);
 * otherwise each cell is decoded as UTF-8. Also says whether every string is its own JSON body (no `"`, `\\` or
 * control character: the JSON token is the string between quotes, with no escaping to do).
 */
function utf8Column(data: Data): { values: (i: number) => string; plainJson: boolean } {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const n = data.length;
  const start = offsets[0] ?? 0;
  const end = offsets[n] ?? 0;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isAscii(buf.subarray(start, end))) {
    const all = buf.toString('latin1', start, end);
    return {
      values: (i) => all.slice(offsets[i]! - start, offsets[i + 1]! - start),
      plainJson: !needsJsonEscape(bytes, start, end),
    };
  }
  return { values: (i) => buf.toString('utf8', offsets[i]!, offsets[i + 1]!), plainJson: false };
}

function needsJsonEscape(bytes: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) {
    const b = bytes[k]!;
    if (b < 0x20 || b === 0x22 || b === 0x5c) return true;
  }
  return false;
}

/** A JSON value's token, as JSON.stringify writes it inside an array or object. */
function jsonToken(v: JsonValue): string {
  if (typeof v === 'number') return String(v); // finite: NaN and the infinities arrive as their names
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}

export function readerFor(data: Data, javaType: string): ColumnReader {
  const isNull = nullCheck(data);
  const type = data.type as { typeId: number; bitWidth?: number; isSigned?: boolean };
  const utf8 = type.typeId === Type.Utf8 ? utf8Column(data) : undefined;
  const values = utf8 ? utf8.values : valuesOf(data, javaType);
  const nested =
    type.typeId === Type.List ||
    type.typeId === Type.FixedSizeList ||
    (type.typeId === Type.Binary && javaType === 'byte[]');
  let jsonText = (i: number): string => (isNull(i) ? 'null' : jsonToken(values(i)));
  let text = nested
    ? (i: number): string | null => (isNull(i) ? null : JSON.stringify(values(i)))
    : (i: number): string | null => (isNull(i) ? null : String(values(i)));
  // The common column types read their text straight from the buffers (the hot path of every text format).
  if (utf8) {
    const str = utf8.values;
    text = (i) => (isNull(i) ? null : str(i));
    if (utf8.plainJson) jsonText = (i) => (isNull(i) ? 'null' : `"${str(i)}"`);
  } else if (type.typeId === Type.Int && type.bitWidth !== 64 && type.isSigned) {
    const ints = data.values as Int32Array;
    text = (i) => (isNull(i) ? null : String(ints[i]!));
    jsonText = (i) => (isNull(i) ? 'null' : String(ints[i]!));
  } else if (type.typeId === Type.Float && (type as { precision?: number }).precision === 2) {
    const doubles = data.values as Float64Array;
    text = (i) => (isNull(i) ? null : String(finiteOrName(doubles[i]!)));
    jsonText = (i) => {
      if (isNull(i)) return 'null';
      const d = doubles[i]!;
      return Number.isFinite(d) ? String(d) : `"${String(d)}"`;
    };
  } else if (type.typeId === Type.Int && type.bitWidth === 64) {
    const r = int64Reader(data);
    const token = (i: number): string => {
      const n = r.num(i);
      return n === undefined ? `"${r.big(i)}"` : String(n);
    };
    text = (i) => (isNull(i) ? null : (r.num(i) ?? r.big(i)).toString());
    jsonText = (i) => (isNull(i) ? 'null' : token(i));
  } else if (type.typeId === Type.Bool) {
    text = (i) => (isNull(i) ? null : values(i) ? 'true' : 'false');
    jsonText = (i) => (isNull(i) ? 'null' : values(i) ? 'true' : 'false');
  }
  return {
    isNull,
    json: (i) => (isNull(i) ? null : values(i)),
    text,
    jsonText,
  };
}
