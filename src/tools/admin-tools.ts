import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { redactConfig } from '../config/redact.js';
import type { AppState } from '../server/app-state.js';
import { READ_ONLY, defineTool } from './tool-kit.js';

export function registerAdminTools(server: McpServer, state: AppState): void {
  defineTool(
    server,
    'mcp_reload',
    {
      title: 'Reload configuration',
      description:
        'Re-read deephaven_mcp.json and rebuild the session list. The new file is validated first: if it is ' +
        'invalid, nothing changes and the error says which key is wrong. On success every open worker connection ' +
        'is closed and workers created by session_community_create are stopped (as in the reference server).',
      input: {},
      output: {},
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    async () => {
      await state.reload();
      return {};
    },
  );

  defineTool(
    server,
    'enterprise_systems_status',
    {
      title: 'Enterprise systems status',
      description:
        'List the Deephaven Enterprise (Core+) systems configured under enterprise.systems, with their ' +
        'redacted configuration. This build has no Enterprise client, so every listed system reports ' +
        'status UNAVAILABLE with the reason.',
      input: {
        attempt_to_connect: z
          .boolean()
          .default(false)
          .describe('Accepted for compatibility; no Enterprise client exists in this build'),
      },
      output: {
        systems: z.array(
          z.object({
            name: z.string(),
            status: z.string(),
            detail: z.string(),
            config: z.record(z.string(), z.unknown()),
          }),
        ),
      },
      annotations: READ_ONLY,
    },
    async () => ({
      systems: Object.entries(state.config.enterprise?.systems ?? {}).map(([name, cfg]) => ({
        name,
        status: 'UNAVAILABLE',
        detail:
          'this dh-mcp build has no Deephaven Enterprise (Core+) client; the configuration was validated only',
        config: redactConfig(cfg as Record<string, unknown>),
      })),
    }),
  );
}
