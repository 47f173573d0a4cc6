import { RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../../src/config/load.js';
import { AppState } from '../../../src/server/app-state.js';
import { createMcpServer } from '../../../src/server/mcp-server.js';
import {
  UI_EXTENSION_ID,
  VIEW_MIME_TYPE,
  WIDGET_VIEW_URI,
  clientRendersViews,
  composeViewHtml,
  widgetViewHtml,
} from '../../../src/views/widget-view.js';

describe('the widget view document', () => {
  it('inlines the ext-apps App bundle as one module script without its export statement', async () => {
    const html = await widgetViewHtml();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const scripts = [...html.matchAll(/<script type="module">([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    const code = scripts[0]![1]!;
    expect(code).not.toMatch(/export\s*\{/);
    expect(code).toMatch(/const App = [\w$]+;/);
    // No external script or style: hosts load views without network access by default.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  });

  it('takes App from whatever local name the bundle exports it under', () => {
    const html = composeViewHtml('class Q{}var z=1;export{z as Other,Q as App};');
    expect(html).toContain('class Q{}var z=1;');
    expect(html).toContain('const App = Q;');
    expect(() => composeViewHtml('class Q{}export{Q as Nope};')).toThrow(/no exported App class/);
    expect(() => composeViewHtml('var s="</script>";class Q{}export{Q as App};')).toThrow(
      /cannot be inlined/,
    );
  });

  it('uses the MIME type of the MCP Apps SDK', () => {
    expect(VIEW_MIME_TYPE).toBe(RESOURCE_MIME_TYPE);
  });
});

describe('clientRendersViews', () => {
  it('is true only when the client lists the MCP Apps HTML type under the extension', () => {
    expect(clientRendersViews({ extensions: { [UI_EXTENSION_ID]: { mimeTypes: [VIEW_MIME_TYPE] } } })).toBe(
      true,
    );
    expect(clientRendersViews({ extensions: { [UI_EXTENSION_ID]: { mimeTypes: ['text/html'] } } })).toBe(
      false,
    );
    expect(clientRendersViews({ extensions: { [UI_EXTENSION_ID]: {} } })).toBe(false);
    expect(clientRendersViews({})).toBe(false);
    expect(clientRendersViews(undefined)).toBe(false);
  });
});

describe('session_widget_view on the wire', () => {
  it('names its view in tools/list; an error result carries no view payload', async () => {
    const state = await AppState.create(async (): Promise<LoadedConfig> => ({ config: {}, source: 'test' }), {
      sweepOrphans: false,
    });
    const server = createMcpServer(state);
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client(
      { name: 't', version: '1' },
      { capabilities: { extensions: { [UI_EXTENSION_ID]: { mimeTypes: [VIEW_MIME_TYPE] } } } },
    );
    await client.connect(b);
    try {
      const tool = (await client.listTools()).tools.find((t) => t.name === 'session_widget_view');
      expect(tool?._meta).toEqual({
        ui: { resourceUri: WIDGET_VIEW_URI },
        'ui/resourceUri': WIDGET_VIEW_URI,
      });
      const r = (await client.callTool({
        name: 'session_widget_view',
        arguments: { session_id: 'community:config:none', widget_name: 't' },
      })) as CallToolResult;
      expect(r.isError).toBe(true);
      expect(r.structuredContent).toMatchObject({
        success: false,
        error: expect.stringMatching(/not found/),
      });
      expect(r._meta).toBeUndefined();
    } finally {
      await client.close();
      await server.close();
      await state.shutdown();
    }
  });
});
