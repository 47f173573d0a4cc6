import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { loadConfig } from '../config/discover.js';
import { readConfigFile } from '../config/load.js';
import { AppState } from './app-state.js';
import { createMcpServer } from './mcp-server.js';

export interface EmbeddedServerOptions {
  /** The config file to read; default: the usual discovery (DH_MCP_CONFIG_FILE, ./deephaven_mcp.json, embedded). */
  configFile?: string;
}

/**
 * The dh-mcp server inside another program: one state (sessions, created workers, their records) shared by
 * every MCP server object it hands out, one per transport, as the stdio and HTTP entry points do.
 */
export interface EmbeddedServer {
  /** A new MCP server on the shared state; connect it to one transport (the SDK binds a server to one). */
  newMcpServer(): McpServer;
  /** Re-reads the configuration, as the mcp_reload tool does. */
  reload(): Promise<void>;
  /** Stops every worker it created and closes every connection. Call it before the process exits. */
  close(): Promise<void>;
}

export async function createServer(opts: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const file = opts.configFile;
  const state = await AppState.create(() => (file ? readConfigFile(file) : loadConfig()));
  return {
    newMcpServer: () => createMcpServer(state),
    reload: () => state.reload(),
    close: () => state.shutdown(),
  };
}
