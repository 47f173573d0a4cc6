import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { locateDockerEngine, type EngineLocation } from '../util/docker-engine.js';

/**
 * Where this process reaches the Docker engine (DOCKER_HOST, the docker context, or a usual socket). Looked up
 * at each call (a few stat calls): nothing is cached at module level, so two servers in one process, or a test
 * that changes DOCKER_HOST, each see their own answer.
 */
export function dockerEngine(): EngineLocation {
  return locateDockerEngine({
    env: process.env,
    platform: process.platform,
    homedir: os.homedir(),
    exists: (p) => {
      try {
        // A named pipe cannot be stat'ed like a file on every Windows version; existsSync handles both.
        return process.platform === 'win32' ? existsSync(p) : statSync(p) !== undefined;
      } catch {
        return false;
      }
    },
    readText: (p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
  });
}

function clientOptions(where: EngineLocation): Docker.DockerOptions {
  const o = where.options;
  // host: undefined keeps docker-modem from reviving DOCKER_HOST defaults underneath an explicit socket.
  if ('socketPath' in o) return { socketPath: o.socketPath, host: undefined };
  const tls = o.tlsDir
    ? {
        ca: readFileSync(path.join(o.tlsDir, 'ca.pem')),
        cert: readFileSync(path.join(o.tlsDir, 'cert.pem')),
        key: readFileSync(path.join(o.tlsDir, 'key.pem')),
      }
    : {};
  return { protocol: o.protocol, host: o.host, port: o.port, username: o.username, ...tls };
}

/**
 * A new Docker client for the engine `dockerEngine()` finds. Each owner (a server's driver set, a setup run, a
 * testcontainers container) makes its own, so nothing is shared behind a caller's back. API paths stay
 * unversioned, so the daemon answers with its own version (Debian's 20.10 engine speaks 1.41 at most and
 * refuses newer clients that pin a version).
 */
export function createDockerClient(): Docker {
  return new Docker(clientOptions(dockerEngine()));
}

/** A factory that creates its client on first use and then keeps it: for owners that may never need Docker. */
export function lazyDockerClient(): () => Docker {
  let client: Docker | undefined;
  return () => (client ??= createDockerClient());
}

/** True when an engine answers within the deadline. Never throws. */
export async function dockerAnswers(docker: Docker, timeoutMs = 1000): Promise<boolean> {
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return true;
  } catch {
    return false;
  }
}

export async function imageExists(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch {
    return false;
  }
}
