/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import puppeteer, { type Browser, type Frame, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfigFile } from '../../../src/config/load.js';
import { AppState } from '../../../src/server/app-state.js';
import { createMcpServer } from '../../../src/server/mcp-server.js';
import { PACKAGE_ROOT } from '../../../src/util/paths.js';
import {
  UI_EXTENSION_ID,
  VIEW_META_KEY,
  VIEW_MIME_TYPE,
  WIDGET_VIEW_URI,
} from '../../../src/views/widget-view.js';
import { startAppsHost, type AppsHost, type ViewCsp } from '../../helpers/apps-host.js';
import { call, writeConfig } from '../../helpers/mcp.js';

// session_widget_view end to end: two created workers (Python and Groovy), a minimal MCP Apps host page built on
// the ext-apps AppBridge in headless Chromium, the view rendering each worker's own widget page. Grid cells are
// read from the text the grid draws on its canvas; screenshots stay in artifacts/ for a person to look at.
const ARTIFACTS = path.join(PACKAGE_ROOT, 'artifacts');
const PY = 'community:dynamic:view-py';
const GV = 'community:dynamic:view-groovy';
const STATIC_PY = 'community:config:py';

interface Peer {
  client: Client;
  close(): Promise<void>;
}
let stateA: AppState; // credential_retrieval_mode dynamic_only: views of created workers carry the token
let stateB: AppState; // mode none, the same Python worker as a configured session
let apps: Peer; // a client that renders MCP Apps views
let plain: Peer; // a client that does not
let appsB: Peer;
let plainB: Peer;
let host: AppsHost;
let browser: Browser;
let pyToken: string;

async function connect(state: AppState, rendersViews: boolean): Promise<Peer> {
  const server = createMcpServer(state);
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client(
    { name: rendersViews ? 'apps-host' : 'text-client', version: '1.0.0' },
    {
      capabilities: rendersViews
        ? { extensions: { [UI_EXTENSION_ID]: { mimeTypes: [VIEW_MIME_TYPE] } } }
        : {},
    },
  );
  await client.connect(b);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

function chromium(): string {
  return process.env.CHROMIUM_PATH ?? execFileSync('sh', ['-c', 'command -v chromium']).toString().trim();
}

beforeAll(async () => {
  stateA = await AppState.create(async () =>
    readConfigFile(
      await writeConfig({
        security: { community: { credential_retrieval_mode: 'dynamic_only' } },
        community: {
          session_creation: {
            defaults: { launch_method: 'python', heap_size_gb: 1, startup_timeout_seconds: 200 },
          },
        },
      }),
    ),
  );
  apps = await connect(stateA, true);
  plain = await connect(stateA, false);
  const [py, gv] = await Promise.all([
    create({ session_name: 'view-py' }),
    create({ session_name: 'view-groovy', programming_language: 'Groovy' }),
  ]);
  expect(py.success, String(py.error)).toBe(true);
  expect(gv.success, String(gv.error)).toBe(true);
  await run(
    PY,
    [
      'from deephaven import empty_table, time_table',
      'from deephaven.plot.figure import Figure',
      'squares = empty_table(25).update(["X = i", "Y = X * X", "Name = `row` + i"])',
      // Newest rows first, so new rows come into the grid's viewport.
      'ticking = time_table("PT0.2S").update(["N = ii", "Label = `tick` + ii"]).reverse()',
      'fig = Figure().plot_xy(series_name="squares", t=squares, x="X", y="Y").show()',
      'answer = 42',
    ].join('\n'),
  );
  await run(
    GV,
    [
      'cubes = emptyTable(12).update("X = i", "Cube = X * X * X", "Word = `g` + i")',
      'gfig = plot("cubes", cubes, "X", "Cube").show()',
    ].join('\n'),
  );
  const creds = await call(apps.client, 'session_community_credentials', { session_id: PY });
  pyToken = creds.auth_token as string;
  expect(pyToken).toMatch(/^[0-9a-f]{32}$/);
  stateB = await AppState.create(
    async () =>
      readConfigFile(
        await writeConfig({
          community: {
            sessions: {
              py: { host: '127.0.0.1', port: py.port as number, auth_type: 'PSK', auth_token: pyToken },
            },
          },
        }),
      ),
    { sweepOrphans: false },
  );
  appsB = await connect(stateB, true);
  plainB = await connect(stateB, false);
  host = await startAppsHost();
  browser = await puppeteer.launch({
    executablePath: chromium(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}, 480_000); // two worker boots on a machine that may be busy

afterAll(async () => {
  await browser?.close();
  await host?.close();
  for (const p of [appsB, plainB, apps, plain]) await p?.close();
  await stateB?.shutdown();
  await stateA?.shutdown();
});

/** A create waits for the worker's boot, which on a loaded machine outlasts the client's default 60 s request timeout. */
async function create(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = (await apps.client.callTool({ name: 'session_community_create', arguments: args }, undefined, {
    timeout: 240_000,
  })) as CallToolResult;
  return r.structuredContent as Record<string, unknown>;
}

async function run(id: string, script: string): Promise<void> {
  const r = await call(apps.client, 'session_script_run', { session_id: id, script });
  expect(r.success, String(r.error)).toBe(true);
}

async function viewResource(client: Client): Promise<{ html: string; csp: ViewCsp }> {
  const r = await client.readResource({ uri: WIDGET_VIEW_URI });
  const c = r.contents[0]!;
  expect(c.mimeType).toBe(RESOURCE_MIME_TYPE);
  const meta = c._meta as { ui?: { csp?: ViewCsp } } | undefined;
  return { html: (c as { text: string }).text, csp: meta?.ui?.csp ?? {} };
}

async function showTool(client: Client, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name: 'session_widget_view', arguments: args })) as CallToolResult;
}

/** The worker page inside the view inside the host page, once its app has drawn something. */
interface RenderedView {
  page: Page;
  frame: () => Frame;
  /** Distinct texts the worker page drew on canvases since it loaded (grid cells, headers). */
  drawn: () => Promise<string[]>;
  text: () => Promise<string>;
  shot: (name: string) => Promise<Buffer>;
  close: () => Promise<void>;
}

/** Renders a tool result in the host page, in a fresh browser context (no cookie from an earlier view). */
async function render(
  client: Client,
  args: Record<string, unknown>,
  result: CallToolResult,
): Promise<RenderedView> {
  const { html, csp } = await viewResource(client);
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1000, height: 600 });
  // Every frame records the text it draws on canvases: the grid paints its cells, the DOM never holds them.
  await page.evaluateOnNewDocument(() => {
    const seen = new Set<string>();
    (window as unknown as { __drawn: Set<string> }).__drawn = seen;
    const fill = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function (
      this: CanvasRenderingContext2D,
      t: string,
      ...rest
    ) {
      seen.add(String(t));
      return fill.call(this, t, ...(rest as [number, number]));
    };
  });
  await page.goto(host.url, { waitUntil: 'load' });
  await page.waitForFunction(
    () => typeof (window as unknown as { showView?: unknown }).showView === 'function',
  );
  const src = host.addView(html, csp);
  await page.evaluate((p) => (window as unknown as { showView: (p: unknown) => Promise<void> }).showView(p), {
    src,
    csp,
    args,
    result: JSON.parse(JSON.stringify(result)) as unknown,
  });
  const frame = (): Frame => {
    const f = page.frames().find((x) => x.url().includes('/iframe/widget/'));
    if (!f)
      throw new Error(
        `no worker page among frames: ${page
          .frames()
          .map((x) => x.url())
          .join(', ')}`,
      );
    return f;
  };
  await page.waitForFrame((f) => f.url().includes('/iframe/widget/'), { timeout: 30_000 });
  return {
    page,
    frame,
    drawn: () => frame().evaluate(() => [...(window as unknown as { __drawn: Set<string> }).__drawn]),
    text: () => frame().evaluate(() => document.body.innerText),
    shot: async (name) => {
      mkdirSync(ARTIFACTS, { recursive: true });
      return Buffer.from(await page.screenshot({ path: path.join(ARTIFACTS, name) }));
    },
    close: () => context.close(),
  };
}

/** Waits until the worker page drew every expected text (a string, or a pattern some drawn text matches). */
async function waitForDrawn(
  v: RenderedView,
  expected: Array<string | RegExp>,
  timeoutMs = 60_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const drawn = await v.drawn().catch(() => [] as string[]);
    const seen = (e: string | RegExp): boolean =>
      typeof e === 'string' ? drawn.includes(e) : drawn.some((t) => e.test(t));
    if (expected.every(seen)) return drawn;
    if (Date.now() > deadline)
      throw new Error(
        `the view never drew ${expected.filter((e) => !seen(e)).join(', ')}; drawn: ${JSON.stringify(drawn.slice(0, 40))}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until the worker page's Plotly chart holds a trace of `points` points and drew its axis ticks. */
async function waitForPlot(
  v: RenderedView,
  points: number,
  ticks: string[],
  timeoutMs = 60_000,
): Promise<{ name: string; y: number[] }> {
  const f = v.frame();
  await f.waitForFunction(
    (n: number, t: string[]) => {
      const gd = document.querySelector('.js-plotly-plot') as unknown as {
        data?: Array<{ x?: unknown[] }>;
      } | null;
      const lines = document.body.innerText.split('\n');
      return gd?.data?.[0]?.x?.length === n && t.every((x) => lines.includes(x));
    },
    { timeout: timeoutMs, polling: 250 },
    points,
    ticks,
  );
  return f.evaluate(() => {
    const gd = document.querySelector('.js-plotly-plot') as unknown as {
      data: Array<{ name: string; y: ArrayLike<number> }>;
    };
    return { name: gd.data[0]!.name, y: Array.from(gd.data[0]!.y) };
  });
}

function body(r: CallToolResult): Record<string, unknown> {
  const t = r.content?.[0];
  if (!t || t.type !== 'text') throw new Error('no text content');
  return JSON.parse(t.text) as Record<string, unknown>;
}

function viewMeta(r: CallToolResult): { embed_url: string } | undefined {
  return r._meta?.[VIEW_META_KEY] as { embed_url: string } | undefined;
}

describe('the tool and its view resource', () => {
  it('session_widget_view names its ui:// view; the view declares the worker origins it may frame', async () => {
    const tools = await apps.client.listTools();
    const tool = tools.tools.find((t) => t.name === 'session_widget_view');
    expect((tool?._meta?.ui as { resourceUri?: string } | undefined)?.resourceUri).toBe(WIDGET_VIEW_URI);
    expect(tool?.annotations?.readOnlyHint).toBe(true);
    const { html, csp } = await viewResource(apps.client);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(csp.frameDomains).toEqual(expect.arrayContaining(['http://localhost:*']));
    const { csp: cspB } = await viewResource(appsB.client);
    expect(cspB.frameDomains).toEqual([`http://127.0.0.1:${stateB.registry.get(STATIC_PY).endpoint.port}`]);
  });

  it('an unknown variable is an error that lists the variables', async () => {
    const r = await showTool(apps.client, { session_id: PY, widget_name: 'nope' });
    expect(r.isError).toBe(true);
    expect(body(r).error).toMatch(/no variable named 'nope'.*squares \(Table\).*fig \(Figure\)/);
    expect(r._meta?.[VIEW_META_KEY]).toBeUndefined();
  });

  it('session_widgets_list lists what can be shown', async () => {
    const r = await call(apps.client, 'session_widgets_list', { session_id: GV });
    expect(r.widgets).toEqual(
      expect.arrayContaining([
        { name: 'cubes', type: 'Table' },
        { name: 'gfig', type: 'Figure' },
      ]),
    );
  });
});

describe('clients that render MCP Apps views', () => {
  it('a Python table: the text says what and how many rows, the token only reaches the view, the grid shows the cells', async () => {
    const args = { session_id: PY, widget_name: 'squares' };
    const r = await showTool(apps.client, args);
    const b = body(r);
    expect(b).toMatchObject({
      success: true,
      widget_type: 'Table',
      row_count: 25,
      column_count: 3,
      is_refreshing: false,
      view: 'inline',
    });
    expect(b.summary).toMatch(
      /^Table 'squares' from community:dynamic:view-py: 25 rows × 3 columns\. Shown live/,
    );
    expect(b.widget_url_with_auth).toBeUndefined();
    // The model reads content (and maybe structuredContent): neither holds the token; the view's _meta does.
    expect(JSON.stringify(r.content)).not.toContain(pyToken);
    expect(JSON.stringify(r.structuredContent)).not.toContain(pyToken);
    expect(viewMeta(r)?.embed_url).toBe(`${b.widget_url as string}&psk=${pyToken}`);

    const v = await render(apps.client, args, r);
    try {
      const drawn = await waitForDrawn(v, ['X', 'Y', 'Name', 'row0', 'row7', '49']);
      expect(drawn).toEqual(expect.arrayContaining(['0', '1', '4', '9', 'row3']));
      await v.shot('widget-view-table.png');
      // The view reported its size to the host (autoResize through the SDK).
      expect(
        await v.page.evaluate(
          () => (window as unknown as { views: Array<{ initialized: boolean }> }).views[0]!.initialized,
        ),
      ).toBe(true);
    } finally {
      await v.close();
    }
  });

  it('a Python figure renders as a plot', async () => {
    const args = { session_id: PY, widget_name: 'fig' };
    const r = await showTool(apps.client, args);
    expect(body(r)).toMatchObject({ success: true, widget_type: 'Figure', view: 'inline' });
    expect(body(r).row_count).toBeUndefined();
    expect(body(r).summary).toMatch(/^Figure 'fig' from community:dynamic:view-py\. Shown live/);
    const v = await render(apps.client, args, r);
    try {
      // 25 points of Y = X * X, and the axis ticks of X 0..24 and Y 0..576.
      const trace = await waitForPlot(v, 25, ['0', '10', '20', '500']);
      expect(trace.name).toBe('squares');
      expect(trace.y.slice(0, 4)).toEqual([0, 1, 4, 9]);
      await v.shot('widget-view-plot.png');
    } finally {
      await v.close();
    }
  });

  it('a ticking table: the view keeps updating', async () => {
    const args = { session_id: PY, widget_name: 'ticking' };
    const r = await showTool(apps.client, args);
    const b = body(r);
    expect(b).toMatchObject({ success: true, widget_type: 'Table', is_refreshing: true, column_count: 3 });
    expect(b.summary).toMatch(/ticking \(row count when the call ran\)/);
    const v = await render(apps.client, args, r);
    try {
      await waitForDrawn(v, ['Timestamp', 'N', 'Label', /^tick\d+$/]);
      const first = await v.shot('widget-view-ticking-1.png');
      const before = new Set((await v.drawn()).filter((t) => t.startsWith('tick')));
      // Newer rows appear (the grid draws labels it had not drawn before) and the picture changes.
      const deadline = Date.now() + 30_000;
      let fresh: string[] = [];
      while (fresh.length < 3 && Date.now() < deadline) {
        await new Promise((res) => setTimeout(res, 250));
        fresh = (await v.drawn()).filter((t) => t.startsWith('tick') && !before.has(t));
      }
      expect(fresh.length).toBeGreaterThanOrEqual(3);
      const second = await v.shot('widget-view-ticking-2.png');
      expect(second.equals(first)).toBe(false);
    } finally {
      await v.close();
    }
  });

  it('a Groovy table and a Groovy plot', async () => {
    const t = await showTool(apps.client, { session_id: GV, widget_name: 'cubes' });
    expect(body(t)).toMatchObject({ success: true, row_count: 12, column_count: 3, view: 'inline' });
    const tv = await render(apps.client, { session_id: GV, widget_name: 'cubes' }, t);
    try {
      await waitForDrawn(tv, ['Cube', 'Word', 'g5', '125', '1,331']);
      await tv.shot('widget-view-groovy-table.png');
    } finally {
      await tv.close();
    }
    const p = await showTool(apps.client, { session_id: GV, widget_name: 'gfig' });
    const pv = await render(apps.client, { session_id: GV, widget_name: 'gfig' }, p);
    try {
      const trace = await waitForPlot(pv, 12, ['0', '10']);
      expect(trace.name).toBe('cubes');
      expect(trace.y.slice(0, 4)).toEqual([0, 1, 8, 27]);
      await pv.shot('widget-view-groovy-plot.png');
    } finally {
      await pv.close();
    }
  });

  it('a wrong token shows the login page, not data', async () => {
    const args = { session_id: PY, widget_name: 'squares' };
    const r = await showTool(apps.client, args);
    const meta = viewMeta(r)!;
    const forged = {
      ...r,
      _meta: { [VIEW_META_KEY]: { embed_url: meta.embed_url.replace(pyToken, '0'.repeat(32)) } },
    };
    const v = await render(apps.client, args, forged);
    try {
      await v
        .frame()
        .waitForFunction(() => /Token[\s\S]*Login/.test(document.body.innerText), { timeout: 30_000 });
      expect(await v.drawn()).not.toContain('row0');
      await v.shot('widget-view-wrong-token.png');
    } finally {
      await v.close();
    }
  });

  it('where the mode withholds the token, the view opens on the login page and the text says why', async () => {
    const args = { session_id: STATIC_PY, widget_name: 'squares' };
    const r = await showTool(appsB.client, args);
    const b = body(r);
    expect(b).toMatchObject({ success: true, row_count: 25, view: 'inline' });
    expect(b.summary).toMatch(/credential_retrieval_mode \('none'\) does not let this server hand it out/);
    expect(JSON.stringify(r)).not.toContain(pyToken);
    expect(viewMeta(r)?.embed_url).toBe(b.widget_url);
    const v = await render(appsB.client, args, r);
    try {
      await v
        .frame()
        .waitForFunction(() => /Token[\s\S]*Login/.test(document.body.innerText), { timeout: 30_000 });
      expect(await v.drawn()).not.toContain('row0');
      await v.shot('widget-view-no-token.png');
    } finally {
      await v.close();
    }
  });
});

describe('clients without MCP Apps', () => {
  it('get a link that opens the live page, with the token only when the mode allows', async () => {
    const r = await showTool(plain.client, { session_id: PY, widget_name: 'squares' });
    const b = body(r);
    expect(b).toMatchObject({ success: true, view: 'link', row_count: 25 });
    expect(r._meta?.[VIEW_META_KEY]).toBeUndefined();
    expect(b.widget_url_with_auth).toBe(`${b.widget_url as string}&psk=${pyToken}`);
    expect(b.summary).toMatch(/does not render MCP Apps views: open widget_url_with_auth in a browser/);
    const context = await browser.createBrowserContext();
    try {
      const page = await context.newPage();
      await page.setViewport({ width: 1000, height: 500 });
      await page.goto(b.widget_url_with_auth as string, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('.iris-grid canvas', { timeout: 60_000 });
      await page.screenshot({ path: path.join(ARTIFACTS, 'widget-link.png') });
    } finally {
      await context.close();
    }

    const none = body(await showTool(plainB.client, { session_id: STATIC_PY, widget_name: 'squares' }));
    expect(none).toMatchObject({ success: true, view: 'link' });
    expect(none.widget_url_with_auth).toBeUndefined();
    expect(none.summary).toMatch(/open widget_url in a browser.*asks for its PSK/);
  });
});

describe('resources', () => {
  it('each worker browser page and each table are resources', async () => {
    const templates = await apps.client.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toEqual(
      expect.arrayContaining([
        'deephaven://session/{session_id}/browser',
        'deephaven://session/{session_id}/table/{table_name}',
      ]),
    );
    const list = (await apps.client.listResources()).resources.map((r) => r.uri);
    const pyEnc = encodeURIComponent(PY);
    expect(list).toEqual(
      expect.arrayContaining([
        `deephaven://session/${pyEnc}/browser`,
        `deephaven://session/${encodeURIComponent(GV)}/browser`,
        `deephaven://session/${pyEnc}/table/squares`,
        `deephaven://session/${pyEnc}/table/ticking`,
        `deephaven://session/${encodeURIComponent(GV)}/table/cubes`,
      ]),
    );
    const csv = await apps.client.readResource({ uri: `deephaven://session/${pyEnc}/table/squares` });
    const text = (csv.contents[0] as { text: string }).text.split('\n');
    expect(text[0]).toBe('X,Y,Name');
    expect(text[4]).toBe('3,9,"row3"');
    expect(text.filter(Boolean)).toHaveLength(26);
    expect(csv.contents[0]!._meta).toEqual({
      'dh-mcp/table': { row_count: 25, total_rows: 25, is_complete: true },
    });

    const page = await apps.client.readResource({ uri: `deephaven://session/${pyEnc}/browser` });
    expect((page.contents[0] as { text: string }).text).toMatch(
      new RegExp(`^http://localhost:\\d+/\\?psk=${pyToken}\\r\\n$`),
    );
    const pageB = await appsB.client.readResource({
      uri: `deephaven://session/${encodeURIComponent(STATIC_PY)}/browser`,
    });
    expect((pageB.contents[0] as { text: string }).text).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\r\n$/);
  });
});
