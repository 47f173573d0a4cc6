import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';

export interface HttpOptions {
  host: string;
  port: number;
  /** Extra Host header values to accept (e.g. a reverse proxy's name), besides the bind address. */
  allowedHosts?: string[];
  /** When set, every request but /health needs `Authorization: Bearer <token>`. */
  bearerToken?: string;
  /** Makes the MCP server object for one client session. */
  newServer: () => McpServer;
}

export interface RunningHttp {
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * Streamable HTTP at /mcp, legacy SSE at /sse (+ POST /messages), unauthenticated GET /health. Host and Origin
 * headers are checked on every MCP route (DNS-rebinding protection): only the bind address, loopback names when
 * bound to loopback, and explicitly allowed hosts pass.
 */
export async function startHttp(opts: HttpOptions): Promise<RunningHttp> {
  const streams = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>();
  const sse = new Map<string, { transport: SSEServerTransport; server: McpServer }>();
  let boundPort = opts.port;

  const hostAllowed = (hostHeader: string | undefined): boolean => {
    if (!hostHeader) return false;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader.trim().toLowerCase());
    if (!m) return false;
    const name = m[1]!;
    if (m[2] && Number(m[2]) !== boundPort) return false;
    const allowed = new Set([
      opts.host.toLowerCase(),
      ...(opts.allowedHosts ?? []).map((h) => h.toLowerCase()),
    ]);
    if (LOOPBACK.has(opts.host)) for (const l of LOOPBACK) allowed.add(l);
    return allowed.has(name);
  };
  const originAllowed = (origin: string | undefined): boolean => {
    if (!origin) return true; // non-browser clients send none
    try {
      const u = new URL(origin);
      return (u.protocol === 'http:' || u.protocol === 'https:') && hostAllowed(u.host);
    } catch {
      return false;
    }
  };
  const tokenOk = (req: IncomingMessage): boolean => {
    if (!opts.bearerToken) return true;
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return false;
    // Hash both sides so the comparison is constant-time whatever the lengths.
    const a = createHash('sha256').update(m[1]!.trim()).digest();
    const b = createHash('sha256').update(opts.bearerToken).digest();
    return timingSafeEqual(a, b);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/health' && req.method === 'GET') {
      return json(res, 200, { status: 'ok' });
    }
    if (!hostAllowed(req.headers.host))
      return json(res, 403, rpcError(`Host '${req.headers.host ?? ''}' is not allowed`));
    if (!originAllowed(req.headers.origin))
      return json(res, 403, rpcError(`Origin '${req.headers.origin}' is not allowed`));
    if (!tokenOk(req)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return json(res, 401, rpcError('missing or wrong bearer token'));
    }

    if (url.pathname === '/mcp') {
      const sid = req.headers['mcp-session-id'];
      const existing = typeof sid === 'string' ? streams.get(sid) : undefined;
      if (req.method === 'POST') {
        const body = await readJson(req);
        if (existing) return existing.transport.handleRequest(req, res, body);
        if (sid !== undefined)
          return json(res, 404, rpcError('unknown or expired MCP session; initialize again'));
        if (!isInitializeRequest(body))
          return json(res, 400, rpcError('the first request of a session must be initialize'));
        const server = opts.newServer();
        const transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => void streams.set(id, { transport, server }),
        });
        transport.onclose = () => {
          if (transport.sessionId) streams.delete(transport.sessionId);
          void server.close().catch(() => undefined);
        };
        await server.connect(transport);
        return transport.handleRequest(req, res, body);
      }
      if (req.method === 'GET' || req.method === 'DELETE') {
        if (!existing) return json(res, 404, rpcError('unknown or expired MCP session'));
        return existing.transport.handleRequest(req, res);
      }
      res.setHeader('Allow', 'GET, POST, DELETE');
      return json(res, 405, rpcError('method not allowed'));
    }

    if (url.pathname === '/sse' && req.method === 'GET') {
      const server = opts.newServer();
      const transport = new SSEServerTransport('/messages', res);
      sse.set(transport.sessionId, { transport, server });
      res.on('close', () => {
        sse.delete(transport.sessionId);
        void server.close().catch(() => undefined);
      });
      await server.connect(transport);
      return;
    }
    if (url.pathname === '/messages' && req.method === 'POST') {
      const entry = sse.get(url.searchParams.get('sessionId') ?? '');
      if (!entry) return json(res, 404, rpcError('unknown SSE session'));
      return entry.transport.handlePostMessage(req, res, await readJson(req));
    }
    return json(res, 404, rpcError(`no route for ${req.method} ${url.pathname}; MCP is at /mcp (or /sse)`));
  };

  const httpServer = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      logger.warn({ err: errorMessage(e), path: req.url }, 'HTTP request failed');
      if (!res.headersSent) json(res, e instanceof BodyError ? 400 : 500, rpcError(errorMessage(e)));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port, opts.host, () => resolve());
  });
  boundPort = (httpServer.address() as AddressInfo).port;
  logger.info(
    { host: opts.host, port: boundPort, auth: opts.bearerToken ? 'bearer' : 'none' },
    'MCP HTTP transport listening (/mcp, /sse, /health)',
  );

  return {
    port: boundPort,
    async close() {
      const all = [...streams.values(), ...sse.values()];
      await Promise.all(all.map((e) => e.server.close().catch(() => undefined)));
      httpServer.closeAllConnections();
      await new Promise<void>((r) => httpServer.close(() => r()));
    },
  };
}

class BodyError extends Error {}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new BodyError(`request body over ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text) return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new BodyError('request body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

function rpcError(message: string): object {
  return { jsonrpc: '2.0', error: { code: -32000, message }, id: null };
}

function json(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
