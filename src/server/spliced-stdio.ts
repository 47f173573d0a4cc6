import { randomUUID } from 'node:crypto';
import process from 'node:process';
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { escapeTimes } from '../formats/byte-writer.js';
import type { Encoding } from '../formats/table-formats.js';

/**
 * A large tool answer (a table read: tens of megabytes) is written once, as the bytes that go on the wire, instead
 * of being built as one JS string that the SDK's stdio transport then serializes a second time
 * (JSON.stringify(message)) and encodes a third time (stdout.write). The tool holds its text here as chunks
 * already escaped for the inside of a JSON string, puts a stand-in string in its result, and this transport
 * writes the message with the chunks in the stand-in's place: the bytes are exactly those the SDK would write
 * for the same message with the real text (serializeMessage: JSON.stringify, one line, `\n`).
 */
export interface TextSplicer {
  /** Holds the chunks (see `wireEncode`) and returns the stand-in string to put in the result as its text. */
  hold(chunks: Buffer[], signal?: AbortSignal): string;
}

/** JSON text → the inside of its JSON string literal as UTF-8 (what JSON.stringify writes between the quotes). */
export function wireEncode(text: string): Buffer {
  return Buffer.from(escapeTimes(text, 1), 'utf8');
}

/** Table data written in its wire form (see Encoding in src/formats/table-formats.ts). */
export const WIRE: Encoding<Buffer> = { depth: 1, text: wireEncode, bytes: (b) => b };

const STAND_IN = 'dh-mcp:spliced-text:';

/** The text of a tool result's first content block, when it is a stand-in. */
function standIn(message: JSONRPCMessage): string | undefined {
  if (!('result' in message)) return undefined;
  const content = (message.result as { content?: unknown }).content;
  if (!Array.isArray(content)) return undefined;
  const text = (content[0] as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' && text.startsWith(STAND_IN) ? text : undefined;
}

export class SplicingStdioServerTransport extends StdioServerTransport implements TextSplicer {
  private readonly held = new Map<string, Buffer[]>();

  constructor(
    stdin: Readable = process.stdin,
    private readonly out: Writable = process.stdout,
  ) {
    super(stdin, out);
  }

  hold(chunks: Buffer[], signal?: AbortSignal): string {
    const key = `${STAND_IN}${randomUUID()}`;
    // Already cancelled (the read finished after the cancel): the SDK will not send the answer, and the abort
    // event has fired already, so the chunks are not held at all.
    if (signal?.aborted) return key;
    this.held.set(key, chunks);
    // A cancelled request's answer is never sent: its chunks must not stay here.
    signal?.addEventListener('abort', () => this.held.delete(key), { once: true });
    return key;
  }

  override send(message: JSONRPCMessage): Promise<void> {
    const key = standIn(message);
    const chunks = key === undefined ? undefined : this.held.get(key);
    if (!key || !chunks) return super.send(message);
    this.held.delete(key);
    const line = serializeMessage(message);
    const at = line.indexOf(key); // the stand-in is plain ASCII: it appears verbatim, between its quotes
    const parts = [
      Buffer.from(line.slice(0, at), 'utf8'),
      ...chunks,
      Buffer.from(line.slice(at + key.length), 'utf8'),
    ];
    return new Promise((resolve) => {
      let flushed = true;
      for (const p of parts) if (p.length) flushed = this.out.write(p);
      if (flushed) resolve();
      else this.out.once('drain', resolve);
    });
  }

  override close(): Promise<void> {
    this.held.clear();
    return super.close();
  }
}

/** The splicer of a transport, when it is one (stdio); other transports get the plain text. */
export function splicerOf(transport: unknown): TextSplicer | undefined {
  return transport instanceof SplicingStdioServerTransport ? transport : undefined;
}
