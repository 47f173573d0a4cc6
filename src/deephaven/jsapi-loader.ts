import { createHash } from 'node:crypto';
import { mkdir, writeFile, rename, access, readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { dh as DhType } from '@deephaven/jsapi-types';
import { WorkerUnreachableError } from '../util/errors.js';
import { userCacheDir } from '../util/paths.js';

export type Dh = typeof DhType;

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * Loads the JS API a worker serves at /jsapi/dh-core.js. Unlike jsapi-nodejs's loader this checks the HTTP
 * status (a proxy's HTML page is never cached as code), honours the session's TLS material, fails fast when
 * nothing listens, and stores the file under its content hash: workers of one version share one module, and
 * concurrent processes never overwrite each other's files.
 */
const modules = new Map<string, Promise<Dh>>();

const CONNECT_TIMEOUT_MS = 10_000;

export function jsapiCacheDir(): string {
  return path.join(userCacheDir(), 'jsapi');
}

export interface LoadJsApiOptions {
  tls?: TlsMaterial;
  /** The whole download's deadline: a JVM that has just started may take many seconds to serve its first file. */
  timeoutMs: number;
  /** How long the TCP (and TLS) connection may take; short, so that an address nothing answers on fails fast. */
  connectTimeoutMs?: number;
  /**
   * The Deephaven version the worker reported itself (a worker dh-mcp started says so in its ready line). A JS API
   * cached for that exact version is used without downloading it again, which saves a round trip to a JVM that
   * has just started.
   */
  knownVersion?: string;
}

export async function loadJsApi(serverUrl: string, opts: LoadJsApiOptions): Promise<Dh> {
  const { tls, knownVersion, timeoutMs } = opts;
  const connectTimeoutMs = Math.min(opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, timeoutMs);
  const cachedSha = knownVersion ? await shaForVersion(knownVersion) : undefined;
  if (cachedSha) {
    let cached = modules.get(cachedSha);
    if (!cached) {
      cached = importModule(cachedSha, undefined);
      modules.set(cachedSha, cached);
      cached.catch(() => modules.delete(cachedSha));
    }
    const mod = await cached.catch(() => undefined);
    if (mod) return mod;
  }
  const body = await download(
    new URL('jsapi/dh-core.js', serverUrl.endsWith('/') ? serverUrl : `${serverUrl}/`),
    tls,
    { connectMs: connectTimeoutMs, totalMs: timeoutMs },
  );
  const sha = createHash('sha256').update(body).digest('hex').slice(0, 24);
  if (knownVersion) await rememberVersion(knownVersion, sha);
  let mod = modules.get(sha);
  if (!mod) {
    mod = importModule(sha, body);
    modules.set(sha, mod);
    mod.catch(() => modules.delete(sha));
  }
  return mod;
}

const VERSION_RE = /^[\w.+-]{1,40}$/;

/** version → sha, read from disk once per version and process. */
const versionShas = new Map<string, string>();

async function shaForVersion(version: string): Promise<string | undefined> {
  if (!VERSION_RE.test(version)) return undefined;
  const known = versionShas.get(version);
  if (known) return known;
  try {
    const sha = (await readFile(path.join(jsapiCacheDir(), `version-${version}`), 'utf8')).trim();
    if (!/^[0-9a-f]{24}$/.test(sha)) return undefined;
    versionShas.set(version, sha);
    return sha;
  } catch {
    return undefined;
  }
}

async function rememberVersion(version: string, sha: string): Promise<void> {
  if (!VERSION_RE.test(version) || versionShas.get(version) === sha) return;
  versionShas.set(version, sha);
  await mkdir(jsapiCacheDir(), { recursive: true });
  await writeFile(path.join(jsapiCacheDir(), `version-${version}`), `${sha}\n`).catch(() => undefined);
}

/**
 * Imports the most recently used JS API from the disk cache ahead of need (importing it costs a few hundred ms
 * once per process). A worker that serves the same file then finds it ready; a different one is loaded as usual.
 */
export function warmJsApi(): void {
  void (async () => {
    const sha = (await readFile(path.join(jsapiCacheDir(), 'latest'), 'utf8')).trim();
    if (!/^[0-9a-f]{24}$/.test(sha) || modules.has(sha)) return;
    const mod = importModule(sha, undefined);
    modules.set(sha, mod);
    mod.catch(() => modules.delete(sha));
  })().catch(() => undefined);
}

async function importModule(sha: string, body: Buffer | undefined): Promise<Dh> {
  const dir = path.join(jsapiCacheDir(), sha);
  const file = path.join(dir, 'dh-core.js');
  try {
    await access(file);
  } catch {
    if (!body) throw new Error(`JS API ${sha} is not cached`);
    await mkdir(dir, { recursive: true });
    // The file is ESM in a .js file: a package.json with "type":"module" beside it makes Node agree.
    await writeFile(path.join(dir, 'package.json'), '{"type":"module"}\n');
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, file);
  }
  // The GWT output expects a browser-like global object.
  const g = globalThis as Record<string, unknown>;
  g.self ??= globalThis;
  g.window ??= globalThis;
  const mod = (await import(pathToFileURL(file).href)) as { default: Dh };
  if (body) await writeFile(path.join(jsapiCacheDir(), 'latest'), `${sha}\n`).catch(() => undefined);
  return mod.default;
}

function download(
  url: URL,
  tls: TlsMaterial | undefined,
  limits: { connectMs: number; totalMs: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    // Two deadlines: the connection must open soon (nothing listening, or a black-holed address, fails fast);
    // the answer then has until the caller's deadline, since a worker that has only just said it is ready can be
    // slow to serve its first request on a loaded machine.
    let timer: NodeJS.Timeout | undefined;
    const expire = (ms: number, what: string): void => {
      clearTimeout(timer);
      timer = setTimeout(() => req.destroy(new Error(`${what} after ${ms} ms`)), ms);
    };
    const req = lib.get(
      url,
      url.protocol === 'https:' && tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {},
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          clearTimeout(timer);
          reject(
            new WorkerUnreachableError(
              `GET ${url.origin}/jsapi/dh-core.js answered HTTP ${res.statusCode}; is this a Deephaven Community server?`,
            ),
          );
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve(Buffer.concat(chunks));
        });
        res.on('error', (e) => {
          clearTimeout(timer);
          reject(new WorkerUnreachableError(`connection failed while loading the JS API: ${e.message}`));
        });
      },
    );
    const started = Date.now();
    expire(limits.connectMs, 'connection timed out');
    req.on('socket', (socket) => {
      const connected = (): void =>
        expire(Math.max(1, limits.totalMs - (Date.now() - started)), 'no answer for the JS API');
      // A reused (keep-alive) socket is already connected and emits no connect event.
      if (!socket.connecting) connected();
      else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', connected);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const what =
        e.code === 'ECONNREFUSED'
          ? 'connection refused'
          : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
            ? 'name or service not known'
            : e.code === 'ECONNRESET'
              ? 'connection reset'
              : e.message;
      reject(new WorkerUnreachableError(`cannot reach ${url.origin}: ${what}`));
    });
  });
}
