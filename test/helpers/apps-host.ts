import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'rolldown';

/**
 * A minimal MCP Apps host page for browser tests, built on the ext-apps host-side SDK (AppBridge over
 * postMessage). The test's MCP client reads the view resource and calls the tool; the page renders the view in a
 * sandboxed iframe on another origin (localhost instead of 127.0.0.1), under the CSP the resource declared, and
 * hands it the tool input and result as a chat client would.
 */
export interface AppsHost {
  /** The host page (on 127.0.0.1). */
  url: string;
  /** Serves a view's HTML under its CSP on another origin (localhost), as a host's sandbox does; returns its URL. */
  addView(html: string, csp: ViewCsp): string;
  close(): Promise<void>;
}

const ENTRY = 'apps-host-entry';

async function bridgeBundle(): Promise<string> {
  const r = await build({
    input: ENTRY,
    write: false,
    output: { format: 'esm' },
    plugins: [
      {
        name: 'entry',
        resolveId: (id) => (id === ENTRY ? id : undefined),
        load: (id) =>
          id === ENTRY
            ? "export { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';"
            : undefined,
      },
    ],
  });
  return r.output[0].code;
}

const PAGE = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>dh-mcp test host</title>
<style>body{font-family:sans-serif;margin:8px;background:#eef} iframe{width:100%;height:520px;border:0;background:#fff}</style>
</head><body><div id="views"></div>
<script type="module">
import { AppBridge, PostMessageTransport } from '/bridge.js';
window.views = [];
window.showView = async ({ src, csp, args, result }) => {
  const iframe = document.createElement('iframe');
  iframe.setAttribute('sandbox', 'allow-scripts allow-same-origin');
  document.getElementById('views').appendChild(iframe);
  const bridge = new AppBridge(null, { name: 'dh-mcp test host', version: '1.0.0' },
    { openLinks: {}, sandbox: { csp } },
    { hostContext: { theme: 'light', displayMode: 'inline', platform: 'web', containerDimensions: { maxHeight: 800 } } });
  const view = { sizes: [], initialized: false };
  window.views.push(view);
  bridge.onsizechange = (p) => { view.sizes.push(p); };
  const initialized = new Promise((r) => { bridge.oninitialized = r; });
  await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
  iframe.src = src;
  await initialized;
  view.initialized = true;
  await bridge.sendToolInput({ arguments: args });
  await bridge.sendToolResult(result);
};
</script></body></html>`;

/** The CSP the spec tells hosts to build from the view resource's _meta.ui.csp. */
export function viewCsp(c: ViewCsp): string {
  const res = (c.resourceDomains ?? []).join(' ');
  return [
    "default-src 'none'",
    `script-src 'self' 'unsafe-inline' ${res}`,
    `style-src 'self' 'unsafe-inline' ${res}`,
    `connect-src 'self' ${(c.connectDomains ?? []).join(' ')}`,
    `img-src 'self' data: ${res}`,
    `frame-src ${(c.frameDomains ?? []).join(' ') || "'none'"}`,
    "object-src 'none'",
  ].join('; ');
}

export interface ViewCsp {
  connectDomains?: string[];
  resourceDomains?: string[];
  frameDomains?: string[];
}

export async function startAppsHost(): Promise<AppsHost> {
  const bundle = await bridgeBundle();
  const views: Array<{ html: string; csp: string }> = [];
  const server: Server = createServer((req, res) => {
    const view = /^\/view\/(\d+)$/.exec(req.url ?? '');
    if (view && views[Number(view[1])]) {
      const v = views[Number(view[1])]!;
      res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': v.csp }).end(v.html);
    } else if (req.url === '/bridge.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    addView(html, csp) {
      views.push({ html, csp: viewCsp(csp) });
      return `http://localhost:${port}/view/${views.length - 1}`;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
