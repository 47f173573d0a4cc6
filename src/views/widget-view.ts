import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** The MCP Apps view that shows a worker's widget page inline (the URI the reference's open PR uses). */
export const WIDGET_VIEW_URI = 'ui://deephaven-mcp/widget-view';
/** The MCP Apps extension: its capability key and the MIME type of an HTML view (spec 2026-01-26). */
export const UI_EXTENSION_ID = 'io.modelcontextprotocol/ui';
export const VIEW_MIME_TYPE = 'text/html;profile=mcp-app';
/**
 * Where a tool result carries what only the view may know (the embed URL with the worker's token). `_meta` is
 * handed to the view with the tool result and is not model context, unlike `content` and `structuredContent`.
 */
export const VIEW_META_KEY = 'dh-mcp/widget-view';

export interface ViewPayload {
  /** The worker's embed page for the variable, with `psk=` when the credential mode allows it. */
  embed_url: string;
}

/** Does this client render MCP Apps views? (It says so in its initialize capabilities.) */
export function clientRendersViews(
  capabilities: { extensions?: Record<string, unknown> } | undefined,
): boolean {
  const ui = capabilities?.extensions?.[UI_EXTENSION_ID] as { mimeTypes?: unknown } | undefined;
  return Array.isArray(ui?.mimeTypes) && ui.mimeTypes.includes(VIEW_MIME_TYPE);
}

let cached: Promise<string> | undefined;

/**
 * The view's HTML: one self-contained document (hosts load views without network access by default), holding
 * the ext-apps App bundle and a small script that frames the embed URL from the tool result. Built on first
 * use, so a server that never shows a view never reads the 340 kB bundle.
 */
export function widgetViewHtml(): Promise<string> {
  cached ??= buildHtml().catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}

async function buildHtml(): Promise<string> {
  const file = createRequire(import.meta.url).resolve('@modelcontextprotocol/ext-apps/app-with-deps');
  return composeViewHtml(await readFile(file, 'utf8'));
}

/**
 * The bundle is an ES module ending in one `export{...}` statement; it is inlined as a module script, so that
 * statement is dropped and the App class is taken from the local name it exports.
 */
export function composeViewHtml(bundle: string): string {
  const m = /export\s*\{([^}]*)\}\s*;?\s*$/.exec(bundle);
  const local = m?.[1]
    ?.split(',')
    .map((s) => s.trim().split(/\s+as\s+/))
    .find(([, exported]) => exported === 'App')?.[0];
  if (!m || !local || !/^[\w$]+$/.test(local))
    throw new Error('unexpected @modelcontextprotocol/ext-apps bundle: no exported App class found');
  const body = bundle.slice(0, m.index);
  if (/<\/script/i.test(body)) throw new Error('the ext-apps bundle cannot be inlined: it contains </script');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Deephaven widget</title>
<style>
  html, body { margin: 0; padding: 0; background: transparent; font-family: var(--font-sans, system-ui, sans-serif); }
  #caption { font-size: 12px; padding: 4px 2px; color: var(--color-text-secondary, #777); }
  #status { padding: 24px; color: var(--color-text-secondary, #777); font-size: 14px; }
  #status.error { color: var(--color-text-danger, #c62828); }
  iframe { display: block; width: 100%; height: 460px; border: 1px solid var(--color-border-primary, #ccc); border-radius: 6px; }
</style>
</head>
<body>
<div id="caption"></div>
<div id="status">Waiting for the tool result…</div>
<script type="module">
${body}
{
  const App = ${local};
  const caption = document.getElementById('caption');
  const status = document.getElementById('status');
  let frame;
  const fail = (message) => {
    status.textContent = message;
    status.className = 'error';
    status.hidden = false;
  };
  const show = (result) => {
    const body = result.structuredContent || {};
    if (result.isError || body.success === false) return fail(body.error || 'the tool call failed');
    const url = (result._meta && result._meta[${JSON.stringify(VIEW_META_KEY)}] || {}).embed_url || body.widget_url;
    if (!url) return fail('the tool result holds no widget URL');
    caption.textContent = body.summary || '';
    status.hidden = true;
    frame ??= document.body.appendChild(document.createElement('iframe'));
    frame.title = body.widget_name || 'Deephaven widget';
    frame.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-forms allow-popups');
    frame.setAttribute('allow', 'clipboard-write');
    frame.src = url;
  };
  const app = new App({ name: 'dh-mcp widget view', version: '1.0.0' }, {}, { autoResize: true });
  app.ontoolresult = show;
  app.ontoolcancelled = () => fail('the tool call was cancelled');
  app.onteardown = async () => {
    frame?.remove();
    return {};
  };
  app.connect().catch((e) => fail('cannot talk to the host: ' + (e && e.message)));
}
</script>
</body>
</html>
`;
}
