import { parseArgs } from 'node:util';
import { InvalidRequestError } from '../util/errors.js';

export const TRANSPORTS = ['stdio', 'streamable-http', 'sse'] as const;
export type TransportKind = (typeof TRANSPORTS)[number];

export interface ServerArgs {
  transport: TransportKind;
  host: string;
  port: number;
  allowedHosts: string[];
  config?: string;
  help: boolean;
  version: boolean;
}

export const USAGE = `Usage: dh-mcp-systems-server [options]

MCP server that lists, creates and drives Deephaven Community Core workers.

Options:
  -t, --transport <kind>   stdio (default), streamable-http (at /mcp) or sse (at /sse)
      --host <addr>        HTTP bind address (default 127.0.0.1)
      --port <n>           HTTP port (default 8000; 0 picks a free one)
      --allowed-host <h>   extra Host header value to accept over HTTP (repeatable)
  -c, --config <file>      config file (default: $DH_MCP_CONFIG_FILE, else ./deephaven_mcp.json,
                           else an embedded default that enables session creation)
  -h, --help               show this help
  -v, --version            show the version

Environment:
  DH_MCP_CONFIG_FILE            config file path
  DH_MCP_HTTP_BEARER_TOKEN      require "Authorization: Bearer <token>" on the HTTP transports
  DH_MCP_LOG_LEVEL              trace, debug, info (default), warn, error; logs go to stderr
`;

export function parseServerArgs(argv: string[]): ServerArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        transport: { type: 'string', short: 't', default: 'stdio' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8000' },
        'allowed-host': { type: 'string', multiple: true, default: [] },
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new InvalidRequestError(`${(e as Error).message}\n\n${USAGE}`);
  }
  const v = parsed.values;
  if (!(TRANSPORTS as readonly string[]).includes(v.transport)) {
    throw new InvalidRequestError(
      `--transport must be one of ${TRANSPORTS.join(', ')}, got '${v.transport}'`,
    );
  }
  const port = Number(v.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidRequestError(`--port must be 0-65535, got '${v.port}'`);
  return {
    transport: v.transport as TransportKind,
    host: v.host,
    port,
    allowedHosts: v['allowed-host'],
    config: v.config,
    help: v.help,
    version: v.version,
  };
}
