import type { WorkerConnection } from '../deephaven/worker-connection.js';
import { DhMcpError, TimeoutError, TransportError, errorMessage } from '../util/errors.js';
import type { CommunitySession } from './community-session.js';

/**
 * Runs an operation on the session's connection. When it fails for a reason other than the request itself (a
 * restarted or vanished worker leaves a dead connection behind), the connection is dropped; read operations are
 * then retried once on a fresh one, others report it and the next call reconnects.
 */
export async function withConnection<T>(
  session: CommunitySession,
  op: (c: WorkerConnection) => Promise<T>,
  opts: { retry: boolean },
): Promise<T> {
  // The worker is in use for the whole operation: an idle timeout cannot stop it under a running call.
  const endUse = session.beginUse();
  try {
    return await attempt(session, op, opts);
  } finally {
    endUse();
  }
}

async function attempt<T>(
  session: CommunitySession,
  op: (c: WorkerConnection) => Promise<T>,
  opts: { retry: boolean },
): Promise<T> {
  const c = await session.connection();
  try {
    return await op(c);
  } catch (e) {
    if (e instanceof DhMcpError && !(e instanceof TransportError)) throw e; // about the request, not the link
    c.markBroken(errorMessage(e));
    // The worker may have died during the call: say so rather than retry against a dead worker.
    await session.checkAlive();
    if (!opts.retry || e instanceof TimeoutError) throw asTransport(e);
    const fresh = await session.connection();
    return op(fresh);
  }
}

/** A failure of the worker link that no lower layer classified. */
function asTransport(e: unknown): unknown {
  return e instanceof DhMcpError
    ? e
    : new TransportError(`the worker connection failed: ${errorMessage(e)}`, { cause: e });
}
