#!/usr/bin/env node
import { SplicingStdioServerTransport } from '../server/spliced-stdio.js';
import { ConfigError } from '../config/errors.js';
import { AppState } from '../server/app-state.js';
import { startHttp, type RunningHttp } from '../server/http-transport.js';
import { createMcpServer, SERVER_VERSION } from '../server/mcp-server.js';
import { installShutdown } from '../server/shutdown.js';
import { InvalidRequestError, errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';
import { parseServerArgs, USAGE } from './args.js';

async function main(): Promise<void> {
  const args = parseServerArgs(process.argv.slice(2));
  if (args.help) return void process.stderr.write(USAGE);
  if (args.version) return void process.stderr.write(`${SERVER_VERSION}\n`);
  if (args.config) process.env.DH_MCP_CONFIG_FILE = args.config;

  if (args.transport === 'stdio') {
    // stdout carries JSON-RPC only: anything a library prints goes to stderr instead.
    // eslint-disable-next-line no-console -- rebinding, not printing
    console.log = console.info = console.debug = console.error;
  }
  // Code in the Deephaven JS API can throw from event callbacks; log it, never let it kill the server.
  process.on('uncaughtException', (e) =>
    logger.error({ err: errorMessage(e), stack: (e as Error).stack }, 'uncaught exception'),
  );
  process.on('unhandledRejection', (e) => logger.error({ err: errorMessage(e) }, 'unhandled rejection'));

  const state = await AppState.create();
  let http: RunningHttp | undefined;
  let stdioServer: ReturnType<typeof createMcpServer> | undefined;
  const shutdown = installShutdown(async () => {
    await http?.close();
    await stdioServer?.close().catch(() => undefined);
    await state.shutdown();
    const { disposeTransports } = await import('../deephaven/worker-connection.js');
    await disposeTransports();
  });

  if (args.transport === 'stdio') {
    stdioServer = createMcpServer(state);
    const transport = new SplicingStdioServerTransport();
    transport.onclose = () => shutdown('transport closed');
    await stdioServer.connect(transport);
    process.stdin.on('end', () => shutdown('stdin closed'));
    process.stdin.on('close', () => shutdown('stdin closed'));
    logger.info({ config: state.configSource }, 'MCP server ready on stdio');
  } else {
    const bearerToken = process.env.DH_MCP_HTTP_BEARER_TOKEN || undefined;
    http = await startHttp({
      host: args.host,
      port: args.port,
      allowedHosts: args.allowedHosts,
      bearerToken,
      newServer: () => createMcpServer(state),
    });
  }
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError || e instanceof InvalidRequestError) {
    process.stderr.write(`dh-mcp-systems-server: ${e.message}\n`);
    process.exit(2);
  }
  logger.fatal({ err: errorMessage(e), stack: (e as Error).stack }, 'server failed to start');
  process.exit(1);
});
