import type { WorkerConnection } from '../deephaven/worker-connection.js';
import { UserError, errorMessage } from '../util/errors.js';
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
  const c = await session.connection();
  try {
    return await op(c);
  } catch (e) {
    if (e instanceof UserError) throw e;
    c.markBroken(errorMessage(e));
    if (!opts.retry || (e instanceof Error && e.name === 'TimeoutError')) throw e;
    const fresh = await session.connection();
    return op(fresh);
  }
}
