import type { z } from 'zod';

/** An invalid or unreadable configuration. The message names the file, the key path and the fix. */
export class ConfigError extends Error {
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
    else out += out ? `.${String(p)}` : String(p);
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
