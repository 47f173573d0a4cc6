import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type {
  CallToolResult,
  ServerNotification,
  ServerRequest,
  ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { CancelledError, errorKind, errorMessage, type ErrorKind } from '../util/errors.js';
import { logger } from '../util/logger.js';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * Every tool result has the reference's shape, `{"success": true, ...}` or
 * `{"success": false, "error": "...", "isError": true}`, as compact JSON text (reference clients parse it as JSON)
 * and as structuredContent checked against the tool's outputSchema. Errors also set the protocol's isError.
 */
export function okResult<T extends Record<string, unknown>>(data: T): CallToolResult {
  if (data instanceof TextResult) return { content: [{ type: 'text', text: data.text }] };
  const body = { success: true, ...data };
  return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
}

/**
 * A success answer that is text only: the reference's JSON, written by the tool itself (large answers, built
 * piece by piece while the data is read), for a tool without an outputSchema (see docs/tools.md, "Tokens").
 */
export class TextResult {
  [key: string]: unknown;
  constructor(readonly text: string) {}
}

export function errorResult(message: string): CallToolResult {
  const body = { success: false, error: message, isError: true };
  return {
    content: [{ type: 'text', text: JSON.stringify(body) }],
    structuredContent: body,
    isError: true,
  };
}

/** The output schema of a tool: its success fields (optional, since errors omit them) plus the error fields. */
export function outputSchema<S extends z.ZodRawShape>(successShape: S) {
  const optional = Object.fromEntries(
    Object.entries(successShape).map(([k, v]) => [k, (v as z.ZodType).optional()]),
  );
  return z.object({
    success: z.boolean().describe('true when the call worked; false with error and isError otherwise'),
    error: z.string().optional().describe('what went wrong, when success is false'),
    isError: z.boolean().optional(),
    ...optional,
  });
}

export const READ_ONLY: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

interface ToolSpec<I extends z.ZodRawShape, O extends z.ZodRawShape> {
  title: string;
  description: string;
  input: I;
  /** The success fields; none for a tool that answers with text only (no outputSchema, no structuredContent). */
  output?: O;
  annotations: ToolAnnotations;
}

/** The longest error text a tool answers with; longer ones (a huge traceback) keep their head and tail. */
export const MAX_ERROR_CHARS = 50_000;

/**
 * The one place a thrown error becomes a tool answer. Errors of the taxonomy (src/util/errors.ts) carry a
 * message written for the caller and are answered as they are; a cancelled call is answered as cancelled
 * whatever the error on the way out was; anything else is a bug: logged with its stack, and the caller is told
 * that it was internal and where the details are.
 */
export function toolError(
  tool: string,
  e: unknown,
  signal?: AbortSignal,
): { kind: ErrorKind | 'internal'; message: string } {
  if (signal?.aborted || e instanceof CancelledError) {
    const why = signal?.aborted ? errorMessage(signal.reason) : errorMessage(e);
    return { kind: 'cancelled', message: `the ${tool} call was cancelled (${why})` };
  }
  const kind = errorKind(e);
  if (kind) return { kind, message: capped(errorMessage(e)) };
  logger.error({ tool, err: e }, 'internal error in a tool call');
  return {
    kind: 'internal',
    message: capped(
      `internal error in dh-mcp while running ${tool}: ${errorMessage(e)} (the server log on stderr has the stack trace; please report it)`,
    ),
  };
}

function capped(message: string): string {
  if (message.length <= MAX_ERROR_CHARS) return message;
  const cut = message.length - MAX_ERROR_CHARS;
  return `${message.slice(0, MAX_ERROR_CHARS - 10_000)}\n… (${cut} characters cut) …\n${message.slice(-10_000)}`;
}

/**
 * Registers a tool whose handler returns its success fields or throws; thrown errors become the reference's
 * error shape through `toolError`.
 */
export function defineTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(
  server: McpServer,
  name: string,
  spec: ToolSpec<I, O>,
  handler: (args: z.infer<z.ZodObject<I>>, extra: ToolExtra) => Promise<Record<string, unknown>>,
): RegisteredTool {
  const cb = async (args: z.infer<z.ZodObject<I>>, extra: ToolExtra): Promise<CallToolResult> => {
    const started = Date.now();
    try {
      const data = await handler(args, extra);
      logger.debug({ tool: name, ms: Date.now() - started }, 'tool call succeeded');
      return okResult(data);
    } catch (e) {
      const { kind, message } = toolError(name, e, extra.signal);
      const level =
        kind === 'internal' ? 'debug' : kind === 'worker_failed' || kind === 'transport' ? 'warn' : 'info';
      logger[level](
        { tool: name, kind, ms: Date.now() - started, err: message.slice(0, 2000) },
        'tool call failed',
      );
      return errorResult(message);
    }
  };
  return server.registerTool(
    name,
    {
      title: spec.title,
      description: spec.description,
      inputSchema: spec.input,
      ...(spec.output ? { outputSchema: outputSchema(spec.output) } : {}),
      annotations: { title: spec.title, ...spec.annotations },
    },
    cb as unknown as Parameters<McpServer['registerTool']>[2],
  );
}
