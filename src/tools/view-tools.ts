import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { AppState } from '../server/app-state.js';
import { operationTimeoutMs } from '../sessions/limits.js';
import { withConnection } from '../sessions/with-connection.js';
import {
  VIEW_META_KEY,
  VIEW_MIME_TYPE,
  WIDGET_VIEW_URI,
  clientRendersViews,
  widgetViewHtml,
  type ViewPayload,
} from '../views/widget-view.js';
import { describeForCaption, describeWidget, listWidgets, widgetPageUrl } from '../views/widget-target.js';
import { tokenForPerson } from '../views/credential-gate.js';
import { READ_ONLY, defineTool, type ToolExtra } from './tool-kit.js';

const SESSION_ID = z.string().describe("Session id from sessions_list, e.g. 'community:dynamic:my-worker'");

const ViewOutput = {
  session_id: z.string(),
  widget_name: z.string(),
  widget_type: z.string().describe('Table, Figure, or the type name of a plugin widget'),
  row_count: z.number().int().optional().describe('tables only: rows when the call ran'),
  column_count: z.number().int().optional(),
  is_refreshing: z.boolean().optional().describe('tables only: true for a ticking table'),
  widget_url: z.string().describe("the worker's page for the variable, without any token"),
  widget_url_with_auth: z
    .string()
    .optional()
    .describe(
      'the same page logged in; only for clients without MCP Apps, when credential_retrieval_mode allows',
    ),
  view: z
    .enum(['inline', 'link'])
    .describe(
      'inline: an MCP Apps view shows it in the chat; link: open widget_url(_with_auth) in a browser',
    ),
  summary: z.string().describe('what is shown, for people and for the model'),
};

/**
 * Session views: the MCP Apps view resource, session_widget_view (a variable shown inline, or a link for
 * clients without Apps support) and session_widgets_list.
 */
export function registerViewTools(server: McpServer, state: AppState): void {
  server.registerResource(
    'Deephaven widget view',
    WIDGET_VIEW_URI,
    {
      title: 'Deephaven widget view',
      description:
        "MCP Apps view of session_widget_view: frames a worker's own page for a table, figure or other widget.",
      mimeType: VIEW_MIME_TYPE,
    },
    async (uri) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: VIEW_MIME_TYPE,
          text: await widgetViewHtml(),
          _meta: { ui: { csp: { frameDomains: frameOrigins(state) }, prefersBorder: false } },
        },
      ],
    }),
  );

  // defineTool answers (and maps errors) as every tool does; the view's payload rides beside that answer, in the
  // result's _meta, keyed by the request it belongs to.
  const views = new Map<string | number, ViewPayload>();
  const tool = defineTool(
    server,
    'session_widget_view',
    {
      title: 'Show a table or plot',
      description:
        "Show a worker variable (a table, a figure, or any widget the worker's web UI renders) to the person, " +
        "live: clients with MCP Apps render the worker's own page for it inline (a ticking table keeps ticking); " +
        'other clients get a link to open in a browser. The answer says what is shown and how many rows. Use it ' +
        'after session_script_run created a table or plot the person wants to look at; use session_table_data to ' +
        'read values yourself.',
      input: {
        session_id: SESSION_ID,
        widget_name: z.string().describe('The variable name, e.g. a table or figure a script created'),
        pq_name: z
          .string()
          .nullish()
          .describe('Enterprise persistent query name (accepted for compatibility; ignored for community)'),
      },
      output: ViewOutput,
      annotations: READ_ONLY,
    },
    async ({ session_id, widget_name }, extra) => {
      const inline = clientRendersViews(server.server.getClientCapabilities());
      const r = await widgetView(state, session_id, widget_name, inline);
      if (r.view) views.set(extra.requestId, r.view);
      return r.body;
    },
  );
  const answer = tool.handler as unknown as (args: unknown, extra: ToolExtra) => Promise<CallToolResult>;
  tool.update({
    _meta: { ui: { resourceUri: WIDGET_VIEW_URI }, 'ui/resourceUri': WIDGET_VIEW_URI },
    callback: (async (args: unknown, extra: ToolExtra): Promise<CallToolResult> => {
      try {
        const result = await answer(args, extra);
        const view = views.get(extra.requestId);
        return view && !result.isError ? { ...result, _meta: { [VIEW_META_KEY]: view } } : result;
      } finally {
        views.delete(extra.requestId);
      }
    }) as never,
  });

  defineTool(
    server,
    'session_widgets_list',
    {
      title: 'List widgets',
      description:
        "Every variable in a session's global scope that session_widget_view can show (tables, figures, plugin " +
        'widgets), with its type. Nothing runs in the worker.',
      input: { session_id: SESSION_ID },
      output: {
        session_id: z.string(),
        widgets: z.array(z.object({ name: z.string(), type: z.string() })),
        count: z.number().int(),
      },
      annotations: READ_ONLY,
    },
    async ({ session_id }) => {
      const s = state.registry.get(session_id);
      const widgets = await withConnection(s, (c) => listWidgets(c, operationTimeoutMs()), { retry: true });
      return { session_id, widgets, count: widgets.length };
    },
  );
}

/**
 * The answer of session_widget_view. The token goes only where the mode allows and only to the view's channel
 * (`_meta`) for clients that render views; for other clients the link with the token is the only way to see
 * the page, so it goes into the answer, again only when the mode allows.
 */
async function widgetView(
  state: AppState,
  sessionId: string,
  widgetName: string,
  inline: boolean,
): Promise<{ body: Record<string, unknown>; view?: ViewPayload }> {
  const s = state.registry.get(sessionId);
  const facts = await withConnection(s, (c) => describeWidget(c, widgetName, operationTimeoutMs()), {
    retry: true,
  });
  const token = tokenForPerson(state.credentialMode, s, 'widget view');
  const url = widgetPageUrl(s, widgetName);
  const withAuth = token ? widgetPageUrl(s, widgetName, token) : undefined;
  const what = describeForCaption(facts, s.id);
  const login =
    s.endpoint.auth === 'PSK' && !token
      ? ` The worker asks for its PSK first: security.community.credential_retrieval_mode ('${state.credentialMode}') does not let this server hand it out, so the person logs in on the page with the token they have (the server log's browser-access line for a created worker).`
      : s.endpoint.auth !== 'PSK' && s.endpoint.auth !== 'ANONYMOUS'
        ? ` The page asks the person to log in (${s.credentials().auth_type} cannot be passed in a URL).`
        : '';
  const summary = inline
    ? `${what}. Shown live in the view.${login}`
    : `${what}. This client does not render MCP Apps views: open ${withAuth ? 'widget_url_with_auth' : 'widget_url'} in a browser to see it live.${login}`;
  const body: Record<string, unknown> = {
    session_id: s.id,
    widget_name: widgetName,
    widget_type: facts.type,
    ...(facts.rowCount !== undefined
      ? { row_count: facts.rowCount, column_count: facts.columnCount, is_refreshing: facts.refreshing }
      : {}),
    widget_url: url,
    ...(!inline && withAuth ? { widget_url_with_auth: withAuth } : {}),
    view: inline ? 'inline' : 'link',
    summary,
  };
  return { body, view: inline ? { embed_url: withAuth ?? url } : undefined };
}

/**
 * Origins the view may frame: every known session's, plus any localhost port when workers can be created
 * (hosts may cache the view before a worker exists, and created workers get a fresh port each).
 */
function frameOrigins(state: AppState): string[] {
  const origins = new Set(state.registry.list().map((s) => new URL(s.publicUrl).origin));
  if (state.config.community?.session_creation) {
    origins.add('http://localhost:*');
    origins.add('http://127.0.0.1:*');
  }
  return [...origins].sort();
}
