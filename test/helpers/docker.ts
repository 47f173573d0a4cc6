import type Docker from 'dockerode';
import { createDockerClient } from '../../src/workers/docker-client.js';

let client: Docker | undefined;

/** One Docker client for a test file's own checks (what the code under test uses is its own). */
export function testDocker(): Docker {
  client ??= createDockerClient();
  return client;
}
