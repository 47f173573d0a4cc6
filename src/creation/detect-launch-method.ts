import type { LaunchMethod } from '../config/schema.js';
import { findJavaHere } from '../setup/java.js';
import { defaultPythonVenv } from '../setup/python-runtime.js';
import { defaultImage, venvPython } from '../util/paths.js';
import { existsSync } from 'node:fs';
import { createDockerClient, dockerAnswers, dockerEngine, imageExists } from '../workers/docker-client.js';

export interface MachineFacts {
  /** Where the engine was looked for (DOCKER_HOST, a docker context, a usual socket). */
  engine: string;
  engineAnswers: boolean;
  image: string;
  imagePresent: boolean;
  venv: string;
  /** A venv with an interpreter and a JDK 17+ are both there. */
  pythonReady: boolean;
}

export interface LaunchChoice {
  method: LaunchMethod;
  reason: string;
}

/**
 * The embedded default's launch method, in this order (a runtime that is ready now wins over one that still
 * needs a download):
 *   1. docker, when an engine answers and the default image is already on it;
 *   2. python, when the Python runtime is ready (the venv `dh-mcp setup python` built, or DH_MCP_VENV, or the
 *      repository's, and a JDK 17+);
 *   3. docker, when an engine answers: the first create pulls the default image;
 *   4. python otherwise: a create then says which command prepares the runtime.
 */
export function chooseLaunchMethod(f: MachineFacts): LaunchChoice {
  if (f.engineAnswers && f.imagePresent)
    return { method: 'docker', reason: `Docker engine answers at ${f.engine} and ${f.image} is present` };
  if (f.pythonReady) {
    const why = f.engineAnswers
      ? ` (preferred over pulling ${f.image})`
      : ` (no Docker engine answers at ${f.engine})`;
    return { method: 'python', reason: `the Python runtime ${f.venv} and a JDK are ready${why}` };
  }
  if (f.engineAnswers)
    return {
      method: 'docker',
      reason: `Docker engine answers at ${f.engine}; ${f.image} is pulled on first use`,
    };
  return {
    method: 'python',
    reason: `no Docker engine answers at ${f.engine} and no Python runtime is ready (run: npx dh-mcp setup)`,
  };
}

export async function machineFacts(env: NodeJS.ProcessEnv = process.env): Promise<MachineFacts> {
  const image = defaultImage('Python', env);
  const docker = createDockerClient();
  const engineAnswers = await dockerAnswers(docker, 1000);
  const imagePresent = engineAnswers && (await imageExists(docker, image));
  const { venv, source } = defaultPythonVenv(env);
  const pythonReady = source !== 'none' && existsSync(venvPython(venv)) && !!findJavaHere(env).found;
  const where = dockerEngine();
  return {
    engine: `${where.address} (${where.source})`,
    engineAnswers,
    image,
    imagePresent,
    venv,
    pythonReady,
  };
}

export async function detectLaunchMethod(env: NodeJS.ProcessEnv = process.env): Promise<LaunchChoice> {
  return chooseLaunchMethod(await machineFacts(env));
}
