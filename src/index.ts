/**
 * The dh-mcp library API: ephemeral Deephaven workers for tests and CI, and the MCP server's building blocks.
 */
export { launchWorker } from './api/launch-worker.js';
export type { LaunchWorkerOptions, LaunchedDeephavenWorker } from './api/launch-worker.js';
export { AppState } from './server/app-state.js';
export { createMcpServer, SERVER_NAME, SERVER_VERSION } from './server/mcp-server.js';
