import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { locateDockerEngine, type EngineLocation } from '../util/docker-engine.js';

let client: Docker | undefined;
let location: EngineLocation | undefined;

/** Where this process reaches the Docker engine (DOCKER_HOST, the docker context, or a usual socket). */
export function dockerEngine(): EngineLocation {
  location ??= locateDockerEngine({
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
  return location;
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
 * The Docker client. API paths stay unversioned, so the daemon answers with its own version (Debian's 20.10
 * engine speaks 1.41 at most and refuses newer clients that pin a version).
 */
export function dockerClient(): Docker {
  client ??= new Docker(clientOptions(dockerEngine()));
  return client;
}

/** True when an engine answers within the deadline. Never throws. */
export async function dockerAnswers(timeoutMs = 1000): Promise<boolean> {
  try {
    await Promise.race([
      dockerClient().ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return true;
  } catch {
    return false;
  }
}

export async function imageExists(image: string): Promise<boolean> {
  try {
    await dockerClient().getImage(image).inspect();
    return true;
  } catch {
    return false;
  }
}
