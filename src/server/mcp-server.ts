import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerAdminTools } from '../tools/admin-tools.js';
import { registerCreationTools, dynamicDetails } from '../tools/creation-tools.js';
import { registerDataTools } from '../tools/data-tools.js';
import { registerSessionResources } from '../tools/session-resources.js';
import { registerSessionTools } from '../tools/session-tools.js';
import { registerViewTools } from '../tools/view-tools.js';
import { UI_EXTENSION_ID } from '../views/widget-view.js';
import type { AppState } from './app-state.js';

export const SERVER_NAME = 'deephaven-mcp-systems';
export const SERVER_VERSION = '0.1.0';

/**
 * One MCP server object per client connection (the SDK binds a server to one transport); every one of them
 * works on the same process-wide AppState.
 */
export function createMcpServer(state: AppState): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION },
    {
      capabilities: { tools: {}, resources: {}, logging: {}, extensions: { [UI_EXTENSION_ID]: {} } },
      instructions:
        'Tools to discover, create and drive Deephaven Community Core workers. Start with sessions_list; ' +
        'session ids look like community:config:<name> (from deephaven_mcp.json) or community:dynamic:<name> ' +
        '(created with session_community_create).',
    },
  );
  registerSessionTools(server, state, [dynamicDetails]);
  registerCreationTools(server, state);
  registerDataTools(server, state);
  registerAdminTools(server, state);
  registerViewTools(server, state);
  registerSessionResources(server, state);
  return server;
}
