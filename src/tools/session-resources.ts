import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Resource } from '@modelcontextprotocol/sdk/types.js';
import { dataOf, readTableData } from '../deephaven/table-access.js';
import { listTables } from '../deephaven/variables.js';
import type { AppState } from '../server/app-state.js';
import type { CommunitySession } from '../sessions/community-session.js';
import { maxResponseChars, operationTimeoutMs } from '../sessions/limits.js';
import { withConnection } from '../sessions/with-connection.js';
import { InvalidRequestError, errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';
import { withTimeout } from '../util/timeout.js';
import { tokenForPerson } from '../views/credential-gate.js';

export const BROWSER_TEMPLATE = 'deephaven://session/{session_id}/browser';
export const TABLE_TEMPLATE = 'deephaven://session/{session_id}/table/{table_name}';
/** Listing contacts only workers already connected, each for at most this long. */
const LIST_TIMEOUT_MS = 3000;

export function browserUri(sessionId: string): string {
  return `deephaven://session/${encodeURIComponent(sessionId)}/browser`;
}

export function tableUri(sessionId: string, table: string): string {
  return `deephaven://session/${encodeURIComponent(sessionId)}/table/${encodeURIComponent(table)}`;
}

/**
 * Sessions as MCP resources, for clients that browse resources: each worker's browser page (the IDE), and each
 * table as CSV (size-capped like session_table_data).
 */
export function registerSessionResources(server: McpServer, state: AppState): void {
  const completeSession = { session_id: (v: string) => ids(state).filter((id) => id.startsWith(v)) };

  server.registerResource(
    'Deephaven browser page',
    new ResourceTemplate(BROWSER_TEMPLATE, {
      list: () => ({
        resources: state.registry.list().map((s): Resource => ({
          uri: browserUri(s.id),
          name: `${s.id} browser page`,
          title: `Deephaven IDE of ${s.id}`,
          mimeType: 'text/uri-list',
        })),
      }),
      complete: completeSession,
    }),
    {
      title: 'Deephaven IDE of a session',
      description:
        "The URL that opens a session's Deephaven IDE in a browser (text/uri-list). It carries the worker's token " +
        "only when security.community.credential_retrieval_mode allows handing out that session's credentials.",
      mimeType: 'text/uri-list',
    },
    (uri, vars) => {
      const s = state.registry.get(variable(vars, 'session_id'));
      const token = tokenForPerson(state.credentialMode, s, 'browser page resource');
      return {
        contents: [
          {
            uri: uri.href,
            mimeType: 'text/uri-list',
            text: `${s.publicUrl}/${token ? `?psk=${encodeURIComponent(token)}` : ''}\r\n`,
          },
        ],
      };
    },
  );

  server.registerResource(
    'Deephaven table',
    new ResourceTemplate(TABLE_TEMPLATE, {
      list: async () => ({
        resources: (await Promise.all(state.registry.list().map(tableResources))).flat(),
      }),
      complete: completeSession,
    }),
    {
      title: 'Deephaven table',
      description:
        "A table in a session's global scope as CSV (the first rows up to the DH_MCP_MAX_RESPONSE_CHARS size " +
        'cap; a ticking table is read from one snapshot). Listing shows tables of workers already connected.',
      mimeType: 'text/csv',
    },
    async (uri, vars) => {
      const s = state.registry.get(variable(vars, 'session_id'));
      const table = variable(vars, 'table_name');
      const maxChars = maxResponseChars();
      const r = await withConnection(
        s,
        (c) =>
          readTableData(c, table, { head: true, format: 'csv', maxChars, timeoutMs: operationTimeoutMs() }),
        { retry: true },
      );
      return {
        contents: [
          {
            uri: uri.href,
            mimeType: 'text/csv',
            text: dataOf(r) as string,
            _meta: {
              'dh-mcp/table': {
                row_count: r.rowCount,
                total_rows: r.totalRows,
                is_complete: r.limitedBy === undefined,
              },
            },
          },
        ],
      };
    },
  );
}

function ids(state: AppState): string[] {
  return state.registry.list().map((s) => s.id);
}

function variable(vars: Record<string, string | string[]>, name: string): string {
  const v = vars[name];
  const raw = Array.isArray(v) ? v[0] : v;
  if (!raw) throw new InvalidRequestError(`the resource URI has no ${name}`);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidRequestError(`the resource URI's ${name} is not valid percent-encoding: '${raw}'`);
  }
}

async function tableResources(s: CommunitySession): Promise<Resource[]> {
  const c = await s.cachedConnection();
  if (!c) return [];
  try {
    const tables = await withTimeout(listTables(c), LIST_TIMEOUT_MS, 'listing tables');
    return tables.map((t) => ({
      uri: tableUri(s.id, t.title),
      name: `${s.id} ${t.title}`,
      title: `Table ${t.title} of ${s.id}`,
      mimeType: 'text/csv',
    }));
  } catch (e) {
    logger.debug({ session: s.id, err: errorMessage(e) }, 'tables of a session left out of resources/list');
    return [];
  }
}
