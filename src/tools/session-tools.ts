import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { AppState } from '../server/app-state.js';
import type { CommunitySession } from '../sessions/community-session.js';
import { LIVENESS_STATUSES } from '../sessions/liveness.js';
import { READ_ONLY, defineTool } from './tool-kit.js';

const SessionSummary = z.object({
  session_id: z.string(),
  type: z.enum(['COMMUNITY', 'ENTERPRISE']),
  source: z.string(),
  session_name: z.string(),
});

const SessionDetail = SessionSummary.extend({
  available: z.boolean(),
  liveness_status: z.enum(LIVENESS_STATUSES),
  liveness_detail: z.string().optional(),
  programming_language: z.string().optional(),
  programming_language_version: z.string().optional(),
  deephaven_community_version: z.string().optional(),
  connection_url: z.string().optional(),
}).catchall(z.unknown());

export function summarise(s: CommunitySession): z.infer<typeof SessionSummary> {
  return { session_id: s.id, type: 'COMMUNITY', source: s.source, session_name: s.name };
}

/** Extra details a session kind contributes (dynamic sessions add launch facts); registered by issue owners. */
export type DetailContributor = (
  s: CommunitySession,
) => Promise<Record<string, unknown>> | Record<string, unknown>;

export function registerSessionTools(
  server: McpServer,
  state: AppState,
  contributors: DetailContributor[] = [],
): void {
  defineTool(
    server,
    'sessions_list',
    {
      title: 'List sessions',
      description:
        'List every Deephaven session this server knows: static workers from deephaven_mcp.json ' +
        '(session_id community:config:<name>) and workers created with session_community_create ' +
        '(community:dynamic:<name>). Does not contact any worker; use session_details for liveness.',
      input: {},
      output: { sessions: z.array(SessionSummary) },
      annotations: READ_ONLY,
    },
    async () => ({ sessions: state.registry.list().map(summarise) }),
  );

  defineTool(
    server,
    'session_details',
    {
      title: 'Session details',
      description:
        'Details of one session: liveness (ONLINE, OFFLINE, UNAUTHORIZED, MISCONFIGURED, UNKNOWN), programming ' +
        'language and its version, and the Deephaven version, read from the worker itself without running ' +
        'anything in its scope. With attempt_to_connect=false only an already open connection is used ' +
        '(no network traffic); otherwise the server connects, or reconnects, first. Created workers also say how ' +
        'they run and, when they have an idle timeout or a maximum lifetime, when the server will stop them ' +
        '(stops_at, stop_reason).',
      input: {
        session_id: z.string().describe("Full session id from sessions_list, e.g. 'community:config:local'"),
        attempt_to_connect: z
          .boolean()
          .default(false)
          .describe('Connect to the worker if no connection is open (may take a few seconds)'),
      },
      output: { session: SessionDetail },
      annotations: READ_ONLY,
    },
    async ({ session_id, attempt_to_connect }) => {
      const s = state.registry.get(session_id);
      const live = await s.liveness(attempt_to_connect);
      const info = live.connection?.info;
      const language = info?.consoleType ?? s.configuredLanguage;
      const session: Record<string, unknown> = {
        ...summarise(s),
        available: live.status === 'ONLINE',
        liveness_status: live.status,
        liveness_detail: live.detail,
        programming_language: language,
        programming_language_version:
          language === 'python'
            ? info?.pythonVersion
            : language === 'groovy'
              ? info?.groovyVersion
              : undefined,
        deephaven_community_version: info?.deephavenVersion,
        connection_url: s.publicUrl,
      };
      for (const c of contributors) Object.assign(session, await c(s));
      return { session: dropUndefined(session) };
    },
  );
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
}
