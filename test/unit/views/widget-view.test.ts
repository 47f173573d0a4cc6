import { RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import { describe, expect, it } from 'vitest';
import {
  UI_EXTENSION_ID,
  VIEW_MIME_TYPE,
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
