import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type {
  CallToolResult,
  ServerNotification,
  ServerRequest,
  ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * Every tool result has the reference's shape, `{"success": true, ...}` or
 * `{"success": false, "error": "...", "isError": true}`, as compact JSON text (reference clients parse it as JSON)
 * and as structuredContent checked against the tool's outputSchema. Errors also set the protocol's isError.
 */
export function okResult<T extends Record<string, unknown>>(data: T): CallToolResult {
  if (data instanceof SerializedResult) return data.toResult();
  const body = { success: true, ...data };
  return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
}

/**
 * A success result whose JSON text the tool wrote itself (large answers: it is built piece by piece while the
 * data is read, instead of serializing the whole object once more). `text` must be JSON.stringify(body).
 */
export class SerializedResult {
  [key: string]: unknown;
  constructor(
    readonly body: Record<string, unknown>,
    readonly text: string,
  ) {}

  toResult(): CallToolResult {
    return { content: [{ type: 'text', text: this.text }], structuredContent: this.body };
  }
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
  output: O;
  annotations: ToolAnnotations;
}

/**
 * Registers a tool whose handler returns its success fields or throws; thrown errors become the reference's
 * error shape with the message (errors are written for the caller: they name the field and the fix).
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
      logger.info({ tool: name, ms: Date.now() - started, err: errorMessage(e) }, 'tool call failed');
      return errorResult(errorMessage(e));
    }
  };
  return server.registerTool(
    name,
    {
      title: spec.title,
      description: spec.description,
      inputSchema: spec.input,
      outputSchema: outputSchema(spec.output),
      annotations: { title: spec.title, ...spec.annotations },
    },
    cb as unknown as Parameters<McpServer['registerTool']>[2],
  );
}
