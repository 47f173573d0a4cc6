/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/util/paths.js';
import { writeConfig } from '../../helpers/mcp.js';
import { StdioPeer } from '../../helpers/stdio-peer.js';

// A person opens the browser URL the server logged for a generated token, in real headless Chromium, and lands
// in the authenticated Deephaven IDE. The screenshot stays in artifacts/ for a human to look at.
const ARTIFACTS = path.join(PACKAGE_ROOT, 'artifacts');
let peer: StdioPeer;
let browser: Browser;

function chromium(): string {
  return process.env.CHROMIUM_PATH ?? execFileSync('sh', ['-c', 'command -v chromium']).toString().trim();
}

beforeAll(async () => {
  const file = await writeConfig({
    // The plain-image case names its image in the tool call: the operator allows any image (docs/security.md).
    security: { community: { allowed_docker_images: ['*'] } },
    community: { session_creation: { defaults: { launch_method: 'python', heap_size_gb: 1 } } },
  });
  peer = new StdioPeer({ ...process.env, DH_MCP_CONFIG_FILE: file });
  await peer.initialize();
  browser = await puppeteer.launch({
    executablePath: chromium(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
});

afterAll(async () => {
  await browser?.close();
  peer?.proc.stdin.end();
  await peer?.exited;
});

/** Waits for the IDE's layout; false when it does not appear (e.g. the login page stays). */
async function ideShows(url: string, shot: string, waitMs: number): Promise<{ ide: boolean; text: string }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  const ide = await page
    .waitForFunction(
      () =>
        document.querySelector('.lm_goldenlayout') !== null && document.body.innerText.includes('Console'),
      { timeout: waitMs, polling: 250 },
    )
    .then(
      () => true,
      () => false,
    );
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, shot) });
  const text = await page.evaluate(() => document.body.innerText);
  await page.close();
  return { ide, text };
}

/** The stand-in of ghcr.io/deephaven/server in the local registry (scripts/build-standin-images.sh). */
const PLAIN_IMAGE = `127.0.0.1:${process.env.DH_MCP_REGISTRY_PORT ?? '5555'}/deephaven/server:42.7`;

// The same check for a worker from the venv and for a plain (official-contract) image, whose PSK reaches the
// server through a property file rather than dh-mcp's worker protocol.
it.each([
  { kind: 'python venv', name: 'browser', args: {} },
  {
    kind: 'plain image',
    name: 'browser-plain',
    args: { launch_method: 'docker', docker_image: PLAIN_IMAGE },
  },
])(
  '$kind: the logged browser URL opens the authenticated IDE; a wrong token does not',
  async ({ name, args }) => {
    const created = await peer.callTool('session_community_create', { session_name: name, ...args });
    expect(created.success).toBe(true);
    // The one deliberate secret in the logs: the banner with the browser URL (this worker's: matched by port).
    const re = new RegExp(`Browser URL: (http://localhost:${String(created.port)}/\\?psk=([0-9a-f]{32}))`);
    const m = re.exec(peer.stderr);
    expect(m).not.toBeNull();
    const [, url, token] = m!;
    // Exactly one record carries the token.
    expect(peer.stderr.split('\n').filter((l) => l.includes(token!))).toHaveLength(1);

    const good = await ideShows(url!, `${name}-ide.png`, 60_000);
    expect(good.ide).toBe(true);
    expect(good.text).toMatch(/Python/);
    expect(good.text).toMatch(/Command History/);

    const bad = await ideShows(url!.replace(token!, '0'.repeat(32)), `${name}-wrong-token.png`, 8_000);
    expect(bad.ide).toBe(false);
    expect(bad.text).toMatch(/Token[\s\S]*Login/);

    expect((await peer.callTool('session_community_delete', { session_name: name })).success).toBe(true);
  },
);
