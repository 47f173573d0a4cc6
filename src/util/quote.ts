// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/g;

/** How many characters of a caller's value an error message may repeat. */
export const QUOTE_MAX_CHARS = 64;

/**
 * A caller's value as an error quotes it: short values in full, long ones as a prefix with their length, so an
 * answer never echoes a megabyte input. Control characters are shown escaped (a NUL byte stays visible).
 */
export function quote(value: unknown, max = QUOTE_MAX_CHARS): string {
  const s = typeof value === 'string' ? value : safeString(value);
  const shown = s.length > max ? s.slice(0, max) : s;
  const escaped = shown.replace(CONTROL_CHARS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return s.length > max ? `'${escaped}…' (${s.length} characters)` : `'${escaped}'`;
}

function safeString(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
