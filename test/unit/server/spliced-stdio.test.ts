import { PassThrough } from 'node:stream';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { SplicingStdioServerTransport, splicerOf, wireEncode } from '../../../src/server/spliced-stdio.js';

// Every character JSON escapes (quotes, backslashes, control characters, a lone surrogate), plus non-ASCII.
const TEXT = JSON.stringify({
  success: true,
  data: 'a "quoted" \\ line\nbreak\ttab\u0001\u001f é ✓ 𝄞 \ud800 end',
  rows: [{ A: 1, 'B "x"': null }],
});

function pieces(text: string, cuts: number[]): Buffer[] {
  const at = [0, ...cuts, text.length];
  return at.slice(1).map((end, k) => wireEncode(text.slice(at[k], end)));
}

function setup() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const transport = new SplicingStdioServerTransport(stdin, stdout);
  const written: Buffer[] = [];
  stdout.on('data', (b: Buffer) => written.push(b));
  return { stdin, transport, output: () => Buffer.concat(written).toString('utf8') };
}

const answer = (id: number, text: string): JSONRPCMessage => ({
  jsonrpc: '2.0',
  id,
  result: { content: [{ type: 'text', text }], _meta: { note: 'kept' } },
});

describe('SplicingStdioServerTransport', () => {
  it('writes a held text as the SDK would write the message holding it, byte for byte', async () => {
    const { transport, output } = setup();
    const key = transport.hold(pieces(TEXT, [3, 17, 40]));
    await transport.send(answer(7, key));
    expect(output()).toBe(serializeMessage(answer(7, TEXT)));
    expect(JSON.parse(output()).result.content[0].text).toBe(TEXT);
  });

  it('passes other messages through unchanged, and a stand-in it does not hold as it is', async () => {
    const { transport, output } = setup();
    const other = answer(1, 'dh-mcp:spliced-text:not-held');
    await transport.send(other);
    await transport.send({
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { level: 'info', data: 'x' },
    });
    expect(output()).toBe(
      serializeMessage(other) +
        serializeMessage({
          jsonrpc: '2.0',
          method: 'notifications/message',
          params: { level: 'info', data: 'x' },
        }),
    );
  });

  it('forgets the text of a cancelled request', async () => {
    const { transport, output } = setup();
    const ac = new AbortController();
    const key = transport.hold([wireEncode('x')], ac.signal);
    ac.abort();
    await transport.send(answer(2, key));
    expect(output()).toBe(serializeMessage(answer(2, key)));
  });

  it('does not hold the text of a request cancelled before the text was ready', async () => {
    const { transport, output } = setup();
    const ac = new AbortController();
    ac.abort();
    const key = transport.hold([wireEncode('x')], ac.signal);
    await transport.send(answer(3, key));
    expect(output()).toBe(serializeMessage(answer(3, key)));
  });

  it('carries a tool answer through the SDK server: the client reads the real text', async () => {
    const { stdin, transport, output } = setup();
    const server = new McpServer({ name: 't', version: '1' });
    server.registerTool('big', { description: 'a spliced answer' }, () => {
      const splicer = splicerOf(server.server.transport);
      if (!splicer) throw new Error('no splicer');
      return { content: [{ type: 'text', text: splicer.hold(pieces(TEXT, [5, 9])) }] };
    });
    await server.connect(transport);
    const lines = async (n: number): Promise<Array<Record<string, unknown>>> => {
      const deadline = Date.now() + 5_000;
      while (output().split('\n').length <= n && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
      return output()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    };
    const send = (m: object): boolean => stdin.write(`${JSON.stringify(m)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
    });
    await lines(1);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'big', arguments: {} } });
    const got = await lines(2);
    expect(got[1]).toEqual({ jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: TEXT }] } });
    await server.close();
  });

  it('is the splicer only of itself', () => {
    expect(splicerOf(undefined)).toBeUndefined();
    expect(splicerOf({ hold: () => '' })).toBeUndefined();
  });
});
