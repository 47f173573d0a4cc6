import { randomBytes } from 'node:crypto';
import type { dh as DhType } from '@deephaven/jsapi-types';
import { TimeoutError, TransportError, errorMessage } from '../util/errors.js';
import { sleep, withTimeout } from '../util/timeout.js';
import type { WorkerConnection } from './worker-connection.js';

export interface VariableChange {
  name: string;
  type: string;
}

export interface ScriptResult {
  /** The worker's error text (traceback) when the script failed; undefined on success. */
  error?: string;
  created: VariableChange[];
  updated: VariableChange[];
  removed: VariableChange[];
  stdout: string;
  stderr: string;
}

/** How long to wait for the end marker (printed and received) before answering with what arrived. */
const MARKER_WAIT_MS = 10_000;

/** Thrown when the call itself failed (transport), as opposed to the script raising an error. */
export class ScriptTransportError extends TransportError {
  override name = 'ScriptTransportError';
}

/**
 * Runs code in the worker's console and reports what it changed and printed. Output comes from the worker's
 * log stream, filtered to the command's own time window (the stream is shared by every client of the worker;
 * dh-mcp runs one script per session at a time so its own calls never mix).
 */
export async function runScript(
  conn: WorkerConnection,
  code: string,
  timeoutMs: number,
): Promise<ScriptResult> {
  const ide = await conn.console();
  const items: DhType.ide.LogItem[] = [];
  const unsubscribe = conn.ide.onLogMessage((item) => items.push(item));
  const startedMicros = Date.now() * 1000;
  try {
    let result: DhType.ide.CommandResult;
    try {
      result = await withTimeout(ide.runCode(code), timeoutMs, 'the script');
    } catch (e) {
      if (e instanceof TimeoutError)
        throw new TimeoutError(
          `the script did not finish within ${Math.round(timeoutMs / 1000)} s; it may still be running on the worker (a running command cannot be cancelled)`,
        );
      throw new ScriptTransportError(errorMessage(e));
    }
    // The log stream arrives in order but late (batched, and later still on a loaded machine): a fixed wait
    // lost output. A marker printed by a second command comes after every line of the first, so once it is
    // here, all of the script's output is too, and everything from the marker on is not the script's. (Item
    // times have millisecond resolution, coarser than the commands' own, so position, not time, ends the window.)
    const marker = await printEndMarker(conn, ide, items, timeoutMs);
    const markerAt = items.findIndex((i) => i.message.includes(marker));
    const start = micros(result.startTimestamp) ?? startedMicros;
    // Without the marker (a worker that stopped answering), the window ends a second after the script did.
    const end = (micros(result.endTimestamp) ?? Date.now() * 1000) + 1_000_000;
    const mine =
      markerAt >= 0
        ? items.slice(0, markerAt).filter((i) => i.micros >= start - 1000)
        : items.filter((i) => i.micros >= start - 1000 && i.micros <= end && !i.message.includes(marker));
    const text = (level: string): string =>
      mine
        .filter((i) => i.logLevel === level)
        .map((i) => i.message)
        .join('');
    const change = (v: DhType.ide.VariableDefinition): VariableChange => ({ name: v.title, type: v.type });
    return {
      error: result.error ? cleanError(result.error) : undefined,
      created: result.changes.created.map(change),
      updated: result.changes.updated.map(change),
      removed: result.changes.removed.map(change),
      stdout: text('STDOUT'),
      stderr: text('STDERR'),
    };
  } finally {
    unsubscribe();
  }
}

/** Prints a unique marker in a second command and waits (within a bound) until the log stream delivered it. */
async function printEndMarker(
  conn: WorkerConnection,
  ide: DhType.IdeSession,
  items: DhType.ide.LogItem[],
  timeoutMs: number,
): Promise<string> {
  const marker = helperName('end');
  const code = conn.info.consoleType === 'groovy' ? `println '${marker}'` : `print('${marker}')`;
  // One bound for printing and receiving it: the marker adds at most MARKER_WAIT_MS to the script's own time.
  const deadline = Date.now() + Math.min(timeoutMs, MARKER_WAIT_MS);
  try {
    await withTimeout(ide.runCode(code), deadline - Date.now(), 'the end marker');
    while (!items.some((i) => i.message.includes(marker)) && Date.now() < deadline) await sleep(20);
  } catch {
    // Answer with what arrived; the marker, if it comes late, is filtered out by its text.
  }
  return marker;
}

function micros(d: DhType.DateWrapper | undefined | null): number | undefined {
  if (!d) return undefined;
  const nanos = Number((d as unknown as { valueOf(): string }).valueOf());
  return Number.isFinite(nanos) && nanos > 0 ? Math.floor(nanos / 1000) : undefined;
}

/** A name for a helper variable that no user script will collide with. */
export function helperName(what: string): string {
  return `__dh_mcp_${what}_${randomBytes(6).toString('hex')}`;
}

/** The worker's error without Java stack frames: the Python or Groovy part is what the script's author needs. */
export function cleanError(error: string): string {
  return error
    .split('\n')
    .filter((l) => !/^\s+at [\w.$/<>]+\(.*\)\s*$/.test(l) && !/^\s+\.\.\. \d+ more\s*$/.test(l))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
