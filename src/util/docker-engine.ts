import { createHash } from 'node:crypto';
import path from 'node:path';

/**
 * Where the Docker engine is, found the way the docker CLI and testcontainers find it:
 *   1. DOCKER_HOST (with DOCKER_TLS_VERIFY / DOCKER_CERT_PATH), the user's explicit choice;
 *   2. the current docker context: DOCKER_CONTEXT, else `currentContext` of $DOCKER_CONFIG/config.json
 *      (default ~/.docker), read from contexts/meta/<sha256(name)>/meta.json; "default" means no context;
 *   3. the first of the usual sockets that exists: Docker Engine (/var/run/docker.sock), Docker Desktop
 *      (~/.docker/run/docker.sock, ~/.docker/desktop/docker.sock), rootless Docker ($XDG_RUNTIME_DIR/docker.sock),
 *      colima, OrbStack, Rancher Desktop, podman ($XDG_RUNTIME_DIR/podman/podman.sock); on Windows the named pipe
 *      //./pipe/docker_engine.
 * Pure: the environment, the platform and the file system come in through `EngineProbe`.
 */

/** Connection options in the shape dockerode (docker-modem) takes. */
export type EngineOptions =
  | { socketPath: string }
  | {
      protocol: 'http' | 'https' | 'ssh';
      host: string;
      port?: number;
      username?: string;
      /** Directory holding ca.pem, cert.pem and key.pem (read by the caller, kept out of this pure core). */
      tlsDir?: string;
    };

export interface EngineLocation {
  options: EngineOptions;
  /** Human-readable: where the choice came from and the address, for logs and error messages. */
  source: string;
  address: string;
  /** Things the user should know (an unreadable context, a context without a docker endpoint...). */
  notes: string[];
}

export interface EngineProbe {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  homedir: string;
  /** True when a file (or socket, or pipe) exists at the path. */
  exists(p: string): boolean;
  /** The file's text, or undefined when it cannot be read. */
  readText(p: string): string | undefined;
}

const WINDOWS_PIPE = '//./pipe/docker_engine';

/** Parses a Docker host URL (DOCKER_HOST or a context endpoint) into connection options. */
export function parseDockerHost(
  raw: string,
  tls: { verify: boolean; certDir?: string } = { verify: false },
): EngineOptions {
  const value = raw.trim();
  if (value.startsWith('unix://'))
    return { socketPath: value.slice('unix://'.length) || '/var/run/docker.sock' };
  if (value.startsWith('npipe://')) {
    // npipe:////./pipe/docker_engine → //./pipe/docker_engine
    const p = value.slice('npipe://'.length).replace(/\\/g, '/');
    return { socketPath: p ? `//${p.replace(/^\/+/, '')}` : WINDOWS_PIPE };
  }
  let url: URL;
  try {
    url = new URL(value.includes('://') ? value : `tcp://${value}`);
  } catch {
    throw new Error(
      `DOCKER_HOST '${value}' is not a Docker address; use unix:///path/docker.sock, npipe:////./pipe/docker_engine, tcp://host:2375 or ssh://user@host`,
    );
  }
  const port = url.port ? Number(url.port) : undefined;
  if (url.protocol === 'ssh:')
    return { protocol: 'ssh', host: url.hostname, port, username: url.username || undefined };
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`DOCKER_HOST '${value}': unsupported scheme '${url.protocol}'`);
  const secure = url.protocol === 'https:' || tls.verify || port === 2376;
  return {
    protocol: secure ? 'https' : 'http',
    host: url.hostname,
    port: port ?? (secure ? 2376 : 2375),
    tlsDir: secure ? tls.certDir : undefined,
  };
}

function describe(options: EngineOptions): string {
  if ('socketPath' in options) return options.socketPath;
  const user = 'username' in options && options.username ? `${options.username}@` : '';
  return `${options.protocol}://${user}${options.host}${options.port ? `:${options.port}` : ''}`;
}

/** The docker CLI's config directory: $DOCKER_CONFIG, else ~/.docker. */
function dockerConfigDir(p: EngineProbe): string {
  return p.env.DOCKER_CONFIG || path.join(p.homedir, '.docker');
}

interface ContextMeta {
  Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } };
}

function fromContext(p: EngineProbe, notes: string[]): EngineLocation | undefined {
  const configDir = dockerConfigDir(p);
  let name = p.env.DOCKER_CONTEXT;
  if (!name) {
    const text = p.readText(path.join(configDir, 'config.json'));
    if (text) {
      try {
        name = (JSON.parse(text) as { currentContext?: unknown }).currentContext as string | undefined;
      } catch {
        notes.push(`${path.join(configDir, 'config.json')} is not valid JSON; its docker context is ignored`);
      }
    }
  }
  if (!name || typeof name !== 'string' || name === 'default') return undefined;
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = path.join(configDir, 'contexts', 'meta', id, 'meta.json');
  const text = p.readText(metaFile);
  let host: string | undefined;
  if (text) {
    try {
      host = (JSON.parse(text) as ContextMeta).Endpoints?.docker?.Host;
    } catch {
      /* reported below */
    }
  }
  if (!host) {
    notes.push(
      `docker context '${name}' has no readable docker endpoint (${metaFile}); trying the usual sockets`,
    );
    return undefined;
  }
  const tlsDir = path.join(configDir, 'contexts', 'tls', id, 'docker');
  const hasTls = p.exists(path.join(tlsDir, 'ca.pem')) || p.exists(path.join(tlsDir, 'cert.pem'));
  const options = parseDockerHost(host, { verify: hasTls, certDir: hasTls ? tlsDir : undefined });
  return { options, source: `docker context '${name}'`, address: describe(options), notes };
}

/** The usual engine sockets of this platform, most common first. */
export function wellKnownSockets(
  p: Omit<EngineProbe, 'exists' | 'readText'>,
): Array<{ path: string; what: string }> {
  if (p.platform === 'win32') return [{ path: WINDOWS_PIPE, what: 'Docker Desktop named pipe' }];
  const home = p.homedir;
  const runtime = p.env.XDG_RUNTIME_DIR;
  const desktop = [
    { path: path.join(home, '.docker', 'run', 'docker.sock'), what: 'Docker Desktop' },
    { path: path.join(home, '.docker', 'desktop', 'docker.sock'), what: 'Docker Desktop' },
  ];
  const others = [
    { path: path.join(home, '.colima', 'default', 'docker.sock'), what: 'colima' },
    { path: path.join(home, '.colima', 'docker.sock'), what: 'colima' },
    { path: path.join(home, '.orbstack', 'run', 'docker.sock'), what: 'OrbStack' },
    { path: path.join(home, '.rd', 'docker.sock'), what: 'Rancher Desktop' },
  ];
  const rootless = runtime ? [{ path: path.join(runtime, 'docker.sock'), what: 'rootless Docker' }] : [];
  const podman = [
    ...(runtime ? [{ path: path.join(runtime, 'podman', 'podman.sock'), what: 'podman' }] : []),
    { path: '/run/podman/podman.sock', what: 'podman' },
  ];
  const system = { path: '/var/run/docker.sock', what: 'Docker Engine' };
  // Docker Desktop on macOS keeps its socket in the home directory; /var/run/docker.sock is only a symlink there
  // when the user allowed it.
  return p.platform === 'darwin'
    ? [...desktop, system, ...others, ...rootless, ...podman]
    : [system, ...rootless, ...desktop, ...others, ...podman];
}

/** Where to reach the engine. Never throws for a missing engine: the caller's ping says whether it answers. */
export function locateDockerEngine(p: EngineProbe): EngineLocation {
  const notes: string[] = [];
  const host = p.env.DOCKER_HOST?.trim();
  if (host) {
    const options = parseDockerHost(host, {
      verify: p.env.DOCKER_TLS_VERIFY === '1' || p.env.DOCKER_TLS_VERIFY === 'true',
      certDir: p.env.DOCKER_CERT_PATH || path.join(dockerConfigDir(p)),
    });
    return { options, source: 'DOCKER_HOST', address: describe(options), notes };
  }
  const context = fromContext(p, notes);
  if (context) return context;
  const sockets = wellKnownSockets(p);
  const found = sockets.find((s) => p.exists(s.path)) ?? sockets[0]!;
  const options = { socketPath: found.path };
  return {
    options,
    source: p.exists(found.path) ? `${found.what} socket` : `default ${found.what} socket (not found)`,
    address: found.path,
    notes,
  };
}
