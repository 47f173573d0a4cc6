import type { dh as DhType } from '@deephaven/jsapi-types';
import { listVariables } from '../deephaven/variables.js';
import type { WorkerConnection } from '../deephaven/worker-connection.js';
import type { CommunitySession } from '../sessions/community-session.js';
import { InvalidRequestError } from '../util/errors.js';
import { withTimeout } from '../util/timeout.js';

/** What a worker variable is, as far as a caption needs: its type, and for tables their size. */
export interface WidgetFacts {
  name: string;
  /** The worker's type name: Table, Figure, deephaven.plot.express.DeephavenFigure, ... */
  type: string;
  rowCount?: number;
  columnCount?: number;
  refreshing?: boolean;
}

/**
 * Looks the variable up in the worker's scope (nothing runs there); a table is opened just long enough to read
 * its size. The error lists the variables that do exist.
 */
export async function describeWidget(
  conn: WorkerConnection,
  name: string,
  timeoutMs: number,
): Promise<WidgetFacts> {
  const vars = await listVariables(conn, timeoutMs);
  const def = vars.find((v) => v.title === name);
  if (!def) {
    const known = vars.map((v) => `${v.title} (${v.type})`);
    throw new InvalidRequestError(
      `no variable named '${name}' in the worker's scope; ${known.length ? `variables: ${known.join(', ')}` : 'it holds no variables'}`,
    );
  }
  if (def.type !== conn.dh.VariableType.TABLE) return { name, type: def.type };
  const table = (await withTimeout(conn.ide.getObject(def), timeoutMs, `opening table '${name}'`, (late) =>
    (late as DhType.Table).close(),
  )) as DhType.Table;
  try {
    return {
      name,
      type: def.type,
      rowCount: table.size,
      columnCount: table.columns.length,
      refreshing: table.isRefreshing,
    };
  } finally {
    table.close();
  }
}

/** Every variable a widget page can show (tables, figures, plugin widgets), in the worker's order. */
export async function listWidgets(
  conn: WorkerConnection,
  timeoutMs: number,
): Promise<Array<{ name: string; type: string }>> {
  return (await listVariables(conn, timeoutMs)).map((v) => ({ name: v.title, type: v.type }));
}

/**
 * The worker's own embeddable page for one variable (Deephaven's web UI serves it for tables, figures and
 * every widget type its plugins render). `?psk=` logs the page in; without it the page shows its login form.
 */
export function widgetPageUrl(session: CommunitySession, name: string, psk?: string): string {
  const url = `${session.publicUrl}/iframe/widget/?name=${encodeURIComponent(name)}`;
  return psk ? `${url}&psk=${encodeURIComponent(psk)}` : url;
}

/** One line for the model and for people: what is shown, how big it is. */
export function describeForCaption(f: WidgetFacts, sessionId: string): string {
  if (f.rowCount === undefined) return `${f.type} '${f.name}' from ${sessionId}`;
  const rows = `${f.rowCount.toLocaleString('en-US')} row${f.rowCount === 1 ? '' : 's'}`;
  const cols = `${f.columnCount} column${f.columnCount === 1 ? '' : 's'}`;
  const ticking = f.refreshing ? ', ticking (row count when the call ran)' : '';
  return `Table '${f.name}' from ${sessionId}: ${rows} × ${cols}${ticking}`;
}
