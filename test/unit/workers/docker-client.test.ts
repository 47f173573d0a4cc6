import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDockerClient, dockerEngine, lazyDockerClient } from '../../../src/workers/docker-client.js';

// Nothing here talks to an engine: dockerode connects only when a request is made.
describe('Docker clients are owned, not shared', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('gives each owner its own client, and one owner the same client every time', () => {
    const a = lazyDockerClient();
    const b = lazyDockerClient();
    expect(a()).toBe(a());
    expect(a()).not.toBe(b());
    expect(createDockerClient()).not.toBe(createDockerClient());
  });

  it('finds the engine again at each call, so a changed DOCKER_HOST applies to the next client', () => {
    vi.stubEnv('DOCKER_HOST', 'tcp://127.0.0.1:2385');
    expect(dockerEngine().address).toContain('127.0.0.1:2385');
    vi.stubEnv('DOCKER_HOST', 'tcp://127.0.0.1:2386');
    expect(dockerEngine().address).toContain('127.0.0.1:2386');
    expect((createDockerClient().modem as { port?: unknown }).port).toBe(2386);
  });
});
