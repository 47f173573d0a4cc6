import type { dh as DhType } from '@deephaven/jsapi-types';
import { withTimeout } from '../util/timeout.js';
import type { WorkerConnection } from './worker-connection.js';

/**
 * The worker's current variables, read from the field-update stream (its first callback is the full set), so
 * nothing runs in the user's scope.
 */
export async function listVariables(
  conn: WorkerConnection,
  timeoutMs = 10_000,
): Promise<DhType.ide.VariableDefinition[]> {
  let unsubscribe: (() => void) | undefined;
  try {
    return await withTimeout(
      new Promise<DhType.ide.VariableDefinition[]>((resolve) => {
        unsubscribe = conn.ide.subscribeToFieldUpdates((changes) => resolve([...changes.created]));
      }),
      timeoutMs,
      'listing the worker variables',
    );
  } finally {
    unsubscribe?.();
  }
}

/** Tables only (what session_tables_list reports), in the order the worker lists them. */
export async function listTables(conn: WorkerConnection): Promise<DhType.ide.VariableDefinition[]> {
  return (await listVariables(conn)).filter((v) => v.type === conn.dh.VariableType.TABLE);
}
