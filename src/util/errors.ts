/** Errors with a message meant for the MCP client: say what failed, name the field, say how to fix it. */
export class UserError extends Error {
  override name = 'UserError';
}

/** The worker rejected our credentials. */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
}

/** The worker could not be reached (refused, reset, timed out, not a Deephaven server). */
export class WorkerUnreachableError extends Error {
  override name = 'WorkerUnreachableError';
}

/** The session's configuration cannot work (bad TLS files, missing token env var, ...). */
export class SessionConfigurationError extends Error {
  override name = 'SessionConfigurationError';
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}
