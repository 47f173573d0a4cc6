/**
 * The error taxonomy. Every error dh-mcp raises on purpose has one of these kinds; anything else that reaches
 * the tool boundary is an internal error (a bug), logged with its stack. The kind is a property of the class,
 * so nothing ever needs to match error names or messages.
 *
 * - invalid_request: the caller (tool arguments, configuration) asked for something that cannot work; fix it.
 * - not_found: the session or table named does not exist.
 * - worker_failed: a worker could not start, died, or refused to stop.
 * - cancelled: the caller (or a reload, or shutdown) cancelled the operation.
 * - transport: the worker could not be reached, rejected the credentials, or did not answer in time.
 */
export type ErrorKind = 'invalid_request' | 'not_found' | 'worker_failed' | 'cancelled' | 'transport';

/** An error whose message is written for the caller: it says what failed, names the field, and the fix. */
export abstract class DhMcpError extends Error {
  abstract readonly kind: ErrorKind;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export class InvalidRequestError extends DhMcpError {
  override name = 'InvalidRequestError';
  readonly kind = 'invalid_request' as const;
}

export class NotFoundError extends DhMcpError {
  override name = 'NotFoundError';
  readonly kind = 'not_found' as const;
}

export class WorkerFailedError extends DhMcpError {
  override name = 'WorkerFailedError';
  readonly kind = 'worker_failed' as const;
}

export class CancelledError extends DhMcpError {
  override name = 'CancelledError';
  readonly kind = 'cancelled' as const;
}

export class TransportError extends DhMcpError {
  override name = 'TransportError';
  readonly kind = 'transport' as const;
}

/** The worker rejected our credentials. */
export class AuthenticationError extends TransportError {
  override name = 'AuthenticationError';
}

/** The worker could not be reached (refused, reset, timed out, not a Deephaven server). */
export class WorkerUnreachableError extends TransportError {
  override name = 'WorkerUnreachableError';
}

/** An operation on a worker did not finish in time. */
export class TimeoutError extends TransportError {
  override name = 'TimeoutError';
}

/** The session's configuration cannot work (bad TLS files, missing token env var, ...). */
export class SessionConfigurationError extends InvalidRequestError {
  override name = 'SessionConfigurationError';
}

/**
 * The same kind of error with context in front of its message (the original kept as the cause). An error no
 * layer classified takes the given kind: a caller that adds context knows what failed.
 */
export function withContext(
  e: unknown,
  prefix: string,
  Fallback: new (message: string, options?: ErrorOptions) => DhMcpError = WorkerFailedError,
): DhMcpError {
  const message = `${prefix}${errorMessage(e)}`;
  if (e instanceof InvalidRequestError) return new InvalidRequestError(message, { cause: e });
  if (e instanceof NotFoundError) return new NotFoundError(message, { cause: e });
  if (e instanceof CancelledError) return new CancelledError(message, { cause: e });
  if (e instanceof TransportError) return new TransportError(message, { cause: e });
  if (e instanceof WorkerFailedError) return new WorkerFailedError(message, { cause: e });
  return new Fallback(message, { cause: e });
}

/** The kind of any thrown value; undefined means internal (a bug, or a library error nobody classified). */
export function errorKind(e: unknown): ErrorKind | undefined {
  return e instanceof DhMcpError ? e.kind : undefined;
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
