import type { z } from 'zod';
import { InvalidRequestError } from '../util/errors.js';
import { QUOTE_MAX_CHARS, quote } from '../util/quote.js';

/** An invalid or unreadable configuration. The message names the file, the key path and the fix. */
export class ConfigError extends InvalidRequestError {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly source: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

/** `community.sessions.local.port`, with array indexes as `[i]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else {
      // A key can be any string a caller sent: a long one is shown as a quoted prefix with its length.
      const key = String(p).length > QUOTE_MAX_CHARS ? quote(String(p)) : String(p);
      out += out ? `.${key}` : key;
    }
  }
  return out || '(top level)';
}

export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((iss) => {
    // Record-key issues wrap the key's own issue: its message is the one that says what is wrong.
    const inner = iss.code === 'invalid_key' ? iss.issues[0]?.message : undefined;
    return `${formatPath(iss.path)}: ${inner ?? iss.message}`;
  });
}
