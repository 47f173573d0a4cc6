import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { dockerStartHint } from '../setup/hints.js';
import type { PullPolicy } from '../config/schema.js';
import { errorMessage } from '../util/errors.js';
import { logger } from '../util/logger.js';

export type { PullPolicy };

/** How far a pull is: layers seen and finished, bytes downloaded of the bytes announced so far. */
export interface PullProgress {
  image: string;
  layers: number;
  layersDone: number;
  bytesDone: number;
  /** Grows as the registry announces layer sizes. */
  bytesTotal: number;
}

export interface EnsureImageOptions {
  /** `missing` (default): pull only when absent; `always`: pull first; `never`: fail when absent. */
  policy?: PullPolicy;
  /** The whole pull, separate from any start-up timeout (default 10 minutes). */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: PullProgress) => void;
  /** Where the Docker CLI config lives (default $DOCKER_CONFIG, else ~/.docker). */
  dockerConfigDir?: string;
}

/** A pull failed or was refused; the message says why and what to do. */
export class ImagePullError extends Error {
  override name = 'ImagePullError';
  constructor(
    message: string,
    readonly reason:
      'absent' | 'not-found' | 'unauthorized' | 'unreachable' | 'cancelled' | 'timeout' | 'failed',
  ) {
    super(message);
  }
}

/** `name` → `name:latest`; a tag or digest stays. */
export function normaliseImageRef(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

/** The registry host of a reference, as the Docker CLI keys its config (`docker.io` for Docker Hub). */
export function registryOf(ref: string): string {
  const first = ref.split('/')[0]!;
  const isHost = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return isHost ? first : 'docker.io';
}

export async function imagePresent(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return false;
    throw e;
  }
}

/**
 * Makes sure `ref` is on the machine, pulling it according to the policy, with progress. Returns whether it
 * pulled. Errors say what went wrong (unknown image or tag, a refused login, an unreachable registry, a
 * cancelled or timed-out pull) and what to do.
 */
export async function ensureImage(
  docker: Docker,
  ref: string,
  opts: EnsureImageOptions = {},
): Promise<{ pulled: boolean }> {
  const image = normaliseImageRef(ref);
  const policy = opts.policy ?? 'missing';
  if (policy !== 'always' && (await imagePresent(docker, image))) return { pulled: false };
  if (policy === 'never')
    throw new ImagePullError(
      `Docker image '${image}' is not present on this machine and pull_policy is "never"; get it with 'docker pull ${image}' (or 'npx dh-mcp setup docker' for the default image), or set pull_policy to "missing"${offlineHint(image)}`,
      'absent',
    );
  const started = Date.now();
  await pull(docker, image, opts);
  logger.info({ image, ms: Date.now() - started }, 'image pulled');
  return { pulled: true };
}

interface PullEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

async function pull(docker: Docker, image: string, opts: EnsureImageOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const abort = new AbortController();
  const onAbort = (): void =>
    abort.abort(new ImagePullError(`the pull of '${image}' was cancelled`, 'cancelled'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();
  const timer = setTimeout(
    () =>
      abort.abort(
        new ImagePullError(
          `the pull of '${image}' did not finish within ${Math.round(timeoutMs / 1000)} s (pull_timeout_seconds); a slow registry may need a longer timeout, or pull it beforehand with 'docker pull ${image}'`,
          'timeout',
        ),
      ),
    timeoutMs,
  );
  const auth = registryAuth(image, opts.dockerConfigDir);
  try {
    const stream = (await docker.pull(image, {
      abortSignal: abort.signal,
      ...(auth ? { authconfig: auth } : {}),
    })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => {
      const layers = new Map<string, { current: number; total: number; done: boolean }>();
      let lastBytes = -1;
      const report = (): void => {
        const all = [...layers.values()];
        const p: PullProgress = {
          image,
          layers: all.length,
          layersDone: all.filter((l) => l.done).length,
          bytesDone: all.reduce((s, l) => s + l.current, 0),
          bytesTotal: all.reduce((s, l) => s + l.total, 0),
        };
        if (p.bytesDone === lastBytes && p.layersDone < p.layers) return;
        lastBytes = p.bytesDone;
        opts.onProgress?.(p);
      };
      const onAbortStream = (): void => reject(abort.signal.reason as Error);
      abort.signal.addEventListener('abort', onAbortStream, { once: true });
      docker.modem.followProgress(
        stream,
        (err: Error | null) => {
          abort.signal.removeEventListener('abort', onAbortStream);
          if (abort.signal.aborted) reject(abort.signal.reason as Error);
          else if (err) reject(err);
          else resolve();
        },
        (ev: PullEvent) => {
          if (ev.error) {
            reject(new Error(ev.errorDetail?.message ?? ev.error));
            return;
          }
          if (!ev.id || !ev.status || /^Pulling from|^Digest|^Status/.test(ev.status)) return;
          const l = layers.get(ev.id) ?? { current: 0, total: 0, done: false };
          layers.set(ev.id, l);
          const d = ev.progressDetail;
          if (ev.status === 'Downloading' && d?.total) {
            l.total = Math.max(l.total, d.total);
            l.current = Math.max(l.current, d.current ?? 0);
          } else if (
            ev.status === 'Download complete' ||
            ev.status === 'Already exists' ||
            ev.status === 'Pull complete'
          ) {
            l.current = l.total;
            l.done = ev.status !== 'Download complete' || l.done;
          }
          report();
        },
      );
    });
  } catch (e) {
    throw explainPullError(e, image, abort.signal);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

function explainPullError(e: unknown, image: string, signal: AbortSignal): ImagePullError {
  const why = explainPullFailure(e, image, signal);
  return new ImagePullError(`${why.message}${offlineHint(image)}`, why.reason);
}

function explainPullFailure(e: unknown, image: string, signal: AbortSignal): ImagePullError {
  if (e instanceof ImagePullError) return e;
  if (signal.aborted && signal.reason instanceof ImagePullError) return signal.reason;
  const msg = errorMessage(e).replace(/^\(HTTP code \d+\) [a-z ]+- /, '');
  const status = (e as { statusCode?: number }).statusCode;
  const code = (e as { code?: string }).code;
  const registry = registryOf(image);
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES')
    return new ImagePullError(
      `the Docker engine is not reachable (${code}); ${dockerStartHint()}`,
      'unreachable',
    );
  if (/unauthorized|authentication required|denied|forbidden/i.test(msg) || status === 401 || status === 403)
    return new ImagePullError(
      `the registry ${registry} refused access to '${image}' (${firstLine(msg)}); log in with 'docker login ${registry}' (dh-mcp reads the "auths" of your Docker config; credential helpers are not used), or check the image name`,
      'unauthorized',
    );
  if (/manifest unknown|not found|no such image|does not exist/i.test(msg) || status === 404)
    return new ImagePullError(
      `the image '${image}' does not exist in ${registry} (${firstLine(msg)}); check the name and the tag`,
      'not-found',
    );
  if (
    /dial tcp|connection refused|no such host|timeout|i\/o timeout|EOF|TLS|x509|network is unreachable/i.test(
      msg,
    )
  )
    return new ImagePullError(
      `the registry ${registry} is not reachable (${firstLine(msg)}); check the network, or pull '${image}' on a machine that can and load it here`,
      'unreachable',
    );
  return new ImagePullError(`pulling '${image}' failed: ${firstLine(msg)}`, 'failed');
}

/** dh-mcp's offline worker images are built on the machine, never published: say so when one is missing. */
function offlineHint(image: string): string {
  return image.startsWith('dh-mcp/')
    ? '; dh-mcp/* images are built by scripts/build-images.sh, not pulled'
    : '';
}

function firstLine(s: string): string {
  const line = s.split('\n')[0]!.trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
}

/**
 * Credentials for the image's registry from the Docker CLI config (`auths`, as `docker login` writes them without
 * a credential store). Credential helpers (`credsStore`, `credHelpers`) are not run.
 */
export function registryAuth(
  image: string,
  configDir = process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker'),
): Docker.AuthConfig | undefined {
  let config: DockerConfig;
  try {
    config = JSON.parse(readFileSync(path.join(configDir, 'config.json'), 'utf8')) as DockerConfig;
  } catch {
    return undefined;
  }
  const registry = registryOf(image);
  const keys =
    registry === 'docker.io'
      ? ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io']
      : [
          registry,
          `https://${registry}`,
          `http://${registry}`,
          `https://${registry}/v1/`,
          `https://${registry}/v2/`,
        ];
  const entry = keys.map((k) => config.auths?.[k]).find((a) => a !== undefined);
  if (!entry) return undefined;
  const serveraddress = registry === 'docker.io' ? 'https://index.docker.io/v1/' : registry;
  if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress } as Docker.AuthConfig;
  let username = entry.username;
  let password = entry.password;
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) {
      username = decoded.slice(0, i);
      password = decoded.slice(i + 1);
    }
  }
  if (!username || password === undefined) return undefined;
  return { username, password, serveraddress };
}
