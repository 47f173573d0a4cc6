import type { DhMcpConfig } from './schema.js';

const SECRET_KEYS = new Set(['auth_token', 'password', 'private_key']);
export const REDACTED = '[REDACTED]';

/** A deep copy of the config with every secret value replaced, for logs and tool output. */
export function redactConfig<T extends DhMcpConfig | Record<string, unknown>>(config: T): T {
  return redact(config) as T;
}

function redact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redact);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, SECRET_KEYS.has(k) && x != null ? REDACTED : redact(x)]),
    );
  }
  return v;
}
