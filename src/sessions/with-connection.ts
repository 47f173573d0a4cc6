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

function seconds(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v * 1000 : fallback * 1000;
}

/** Bound on one read (listing, schema, a data chunk): DH_MCP_OPERATION_TIMEOUT_SECONDS, default 60. */
export const operationTimeoutMs = (): number => seconds('DH_MCP_OPERATION_TIMEOUT_SECONDS', 60);
/** Bound on one script: DH_MCP_SCRIPT_TIMEOUT_SECONDS, default 300. */
export const scriptTimeoutMs = (): number => seconds('DH_MCP_SCRIPT_TIMEOUT_SECONDS', 300);
/** Size cap of one session_table_data answer, in characters of row JSON: DH_MCP_MAX_RESPONSE_CHARS, default 200000. */
export const maxResponseChars = (): number => {
  const v = Number(process.env.DH_MCP_MAX_RESPONSE_CHARS);
  return Number.isInteger(v) && v > 0 ? v : 200_000;
};
