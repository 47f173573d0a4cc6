import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadJsApi } from '../../../src/deephaven/jsapi-loader.js';
import { WorkerUnreachableError } from '../../../src/util/errors.js';

// Stands in for a worker's /jsapi/dh-core.js: a local HTTP server whose answers are delayed or refused on demand
// (a real worker cannot be made slow to answer on cue).

const cache = mkdtempSync(path.join(os.tmpdir(), 'jsapi-loader-'));
const savedCache = process.env.DH_MCP_CACHE;
let server: http.Server;
let base: string;
/** What the next request gets: a delay before the answer (Infinity: never), and its status. */
let answer = { delayMs: 0, status: 200 };
let served = 0;

beforeAll(async () => {
  process.env.DH_MCP_CACHE = cache;
  server = http.createServer((req, res) => {
    const { delayMs, status } = answer;
    if (delayMs === Infinity) return; // accepted, never answered
    setTimeout(() => {
      res.writeHead(status, { 'content-type': 'application/javascript' });
      // A distinct module per answer, so no test finds another's module already imported.
      res.end(`export default { served: ${++served} };\n`);
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  if (savedCache === undefined) delete process.env.DH_MCP_CACHE;
  else process.env.DH_MCP_CACHE = savedCache;
  rmSync(cache, { recursive: true, force: true });
});

function cachedModules(): string[] {
  const dir = path.join(cache, 'jsapi');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe('loadJsApi', () => {
  it('waits past the connect timeout for a worker that is slow to answer, within the whole deadline', async () => {
    // A second between the deadlines and what they time: a loaded machine's stalled event loop cannot swap them.
    answer = { delayMs: 1_500, status: 200 };
    const dh = (await loadJsApi(base, { connectTimeoutMs: 1_000, timeoutMs: 10_000 })) as unknown as {
      served: number;
    };
    expect(dh.served).toBe(served);
  });

  it('gives up on an answer that never comes at the deadline, naming what it waited for', async () => {
    answer = { delayMs: Infinity, status: 200 };
    const t0 = Date.now();
    const err = await loadJsApi(base, { connectTimeoutMs: 1_000, timeoutMs: 1_500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerUnreachableError);
    expect((err as Error).message).toMatch(/no answer for the JS API after \d+ ms/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_450);
  });

  it('fails at once when nothing listens', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(loadJsApi(`http://127.0.0.1:${port}`, { timeoutMs: 10_000 })).rejects.toThrow(
      /connection refused/,
    );
  });

  it('refuses a page that is not the JS API (an HTTP error) and caches nothing from it', async () => {
    const before = cachedModules();
    answer = { delayMs: 0, status: 404 };
    await expect(loadJsApi(base, { timeoutMs: 5_000 })).rejects.toThrow(/answered HTTP 404/);
    expect(cachedModules()).toEqual(before);
  });
});
