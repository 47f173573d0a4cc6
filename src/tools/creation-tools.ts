import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { CredentialRetrievalMode } from '../config/schema.js';
import { createToolInput } from '../workers/params/derive.js';
import type { AppState } from '../server/app-state.js';
import type { CommunitySession } from '../sessions/community-session.js';
import { InvalidRequestError } from '../util/errors.js';
import { logger } from '../util/logger.js';
import { DynamicSession } from '../workers/dynamic-session.js';
import type { DetailContributor } from './session-tools.js';
import { READ_ONLY, defineTool } from './tool-kit.js';
import { progressReporter } from './progress.js';
import { quote } from '../util/quote.js';

const AUTH_TYPE = z.string().describe('"PSK" or "ANONYMOUS" (the same spelling in every tool)');

/**
 * session_details extras for created workers: how and where they run, whether they still do, and when the
 * server will stop them on its own.
 */
export const dynamicDetails: DetailContributor = async (s) => {
  if (!(s instanceof DynamicSession)) return {};
  return {
    launch_method: s.launchMethod,
    port: s.handle.endpoint.port,
    ...s.handle.describe(),
    auth_type: s.credentials().auth_type,
    worker_alive: await s.handle.isAlive(),
    from_pool: s.fromPool,
    // idle_timeout_seconds, max_lifetime_seconds, stops_at, stop_reason (absent: never stopped on its own)
    ...s.lifecycleDetails(),
  };
};

export function registerCreationTools(server: McpServer, state: AppState): void {
  defineTool(
    server,
    'session_community_create',
    {
      title: 'Create a Deephaven worker',
      description:
        'Start a new Deephaven Community worker on this machine, in Docker or as a process from a Python venv, ' +
        'and register it as community:dynamic:<session_name>. Blocks until the worker accepts a login ' +
        '(typically a few seconds; well under one when a warm pool holds a matching worker; sends progress ' +
        'notifications when asked). Unset parameters come from ' +
        'community.session_creation.defaults in deephaven_mcp.json. The worker listens on 127.0.0.1 only; a ' +
        'generated PSK is never returned here (see session_community_credentials).',
      input: createToolInput(),
      output: {
        session_id: z.string(),
        session_name: z.string(),
        connection_url: z.string(),
        auth_type: AUTH_TYPE,
        launch_method: z.string(),
        worker_kind: z
          .string()
          .describe('python, dhmcp-image (a dh-mcp worker image) or plain-image (a Deephaven image)'),
        programming_language: z.string().optional(),
        port: z.number().int(),
        container_id: z.string().optional(),
        process_id: z.number().int().optional(),
        from_pool: z
          .boolean()
          .describe(
            'the worker was started ahead of time by the warm pool (community.session_creation.warm_pool)',
          ),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async (args, extra) => {
      const s = await state.workers.create(args, state.creationSettings, {
        signal: extra.signal,
        onProgress: progressReporter(extra),
      });
      return {
        session_id: s.id,
        session_name: s.name,
        connection_url: s.publicUrl,
        auth_type: s.credentials().auth_type,
        launch_method: s.launchMethod,
        worker_kind: s.handle.kind,
        programming_language: s.configuredLanguage,
        port: s.handle.endpoint.port,
        ...s.handle.identity,
        from_pool: s.fromPool,
      };
    },
  );

  defineTool(
    server,
    'session_community_delete',
    {
      title: 'Delete a created worker',
      description:
        'Stop a worker created with session_community_create (container or process) and remove ' +
        'community:dynamic:<session_name> from the session list. Works even when the worker has died. ' +
        'Static sessions from deephaven_mcp.json cannot be deleted.',
      input: {
        session_name: z
          .string()
          .describe('The name given at creation (without the community:dynamic: prefix)'),
      },
      output: {
        session_id: z.string(),
        session_name: z.string(),
        worker_stopped: z.boolean().describe('false when the worker would not stop (it stays tracked)'),
        note: z.string().optional(),
        kept: z
          .array(z.string())
          .optional()
          .describe(
            'what the worker leaves on the machine on purpose (named volumes), each with how to remove it',
          ),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async ({ session_name }) => state.workers.delete(session_name),
  );

  defineTool(
    server,
    'session_community_credentials',
    {
      title: 'Connection credentials',
      description:
        'The URL and PSK of a community session, for opening the Deephaven IDE in a browser. Allowed only as far ' +
        'as security.community.credential_retrieval_mode permits: "none" (default) refuses, "dynamic_only" ' +
        'allows created workers, "static_only" allows sessions from deephaven_mcp.json, "all" allows both. ' +
        'The result holds a secret: do not repeat it unless the user asked for it.',
      input: {
        session_id: z.string().describe("e.g. 'community:dynamic:my-worker' or 'community:config:local'"),
      },
      output: {
        auth_type: AUTH_TYPE,
        auth_token: z.string().describe('the PSK, or "" for anonymous sessions'),
        connection_url: z.string(),
        connection_url_with_auth: z.string().describe('opens the IDE already logged in'),
      },
      annotations: READ_ONLY,
    },
    async ({ session_id }) => {
      if (!session_id.startsWith('community:'))
        throw new InvalidRequestError(
          `Invalid session_id ${quote(session_id)}. This tool only works for community sessions (format: 'community:config:name' or 'community:dynamic:name')`,
        );
      const mode = state.credentialMode;
      const s = state.registry.get(session_id);
      const refusal = credentialRefusal(mode, s);
      logger.warn(
        { session: session_id, mode, decision: refusal ? 'DENIED' : 'ALLOWED' },
        'credential retrieval request',
      );
      if (refusal) throw new InvalidRequestError(refusal);
      return { ...s.credentials() };
    },
  );
}

const MODES_HELP =
  'Set security.community.credential_retrieval_mode in deephaven_mcp.json to "dynamic_only" (created workers), ' +
  '"static_only" (configured sessions) or "all"; mcp_reload applies it (and, as in the reference, stops created workers).';

/** Why the mode forbids handing out this session's credentials, or undefined when it allows it. */
export function credentialRefusal(
  mode: CredentialRetrievalMode,
  s: Pick<CommunitySession, 'id' | 'source'>,
): string | undefined {
  const dynamic = s.source === 'dynamic';
  if (mode === 'none') return `Credential retrieval is disabled (mode='none'). ${MODES_HELP}`;
  if (mode === 'dynamic_only' && !dynamic)
    return `Credential retrieval for static sessions is disabled. Current mode: 'dynamic_only'. Session '${s.id}' is a static (config-based) session; set security.community.credential_retrieval_mode to 'all' or 'static_only' to allow it.`;
  if (mode === 'static_only' && dynamic)
    return `Credential retrieval for dynamic sessions is disabled. Current mode: 'static_only'. Session '${s.id}' is a dynamic (on-demand) session; set security.community.credential_retrieval_mode to 'all' or 'dynamic_only' to allow it.`;
  return undefined;
}
