/**
 * The dh-mcp library: ephemeral Deephaven workers for tests and CI (`launchWorker`), configuration validation,
 * and the MCP server for embedding (`createServer`). Importing it changes nothing in the caller's process: no
 * environment variables, no signal handlers, no workers until asked. `dh-mcp/testcontainers` holds the
 * testcontainers module. Anything not exported here is internal and may change without notice.
 */
export { launchWorker } from './api/launch-worker.js';
export type { LaunchWorkerOptions, LaunchedDeephavenWorker } from './api/launch-worker.js';
export { createServer } from './server/embedded-server.js';
export type { EmbeddedServer, EmbeddedServerOptions } from './server/embedded-server.js';
export { SERVER_NAME, SERVER_VERSION } from './server/mcp-server.js';
export { readConfigFile, validateConfig } from './config/load.js';
export type { LoadedConfig } from './config/load.js';
export { ConfigError } from './config/errors.js';
export type { DhMcpConfig } from './config/schema.js';
