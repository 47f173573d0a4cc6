import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDocker } from '../../helpers/docker.js';
import { pinnedDeephavenVersion } from '../../../src/util/paths.js';
import { call, inMemoryServer, writeConfig } from '../../helpers/mcp.js';
import { startDockerWorker, type TestWorker } from '../../helpers/workers.js';

// Both locally built images (scripts/build-images.sh, no registry) boot and answer a login through the tools.
// Both workers carry the same session name, as two dh-mcp servers on one machine may: container names are
// machine-wide, so each must still get a container of its own.
let py: TestWorker;
let groovy: TestWorker;
let mcp: Awaited<ReturnType<typeof inMemoryServer>>;
const suffix = process.pid;

beforeAll(async () => {
  [py, groovy] = await Promise.all([
    startDockerWorker({ auth: 'PSK', language: 'Python', name: `test-same-${suffix}` }),
    startDockerWorker({ auth: 'ANONYMOUS', language: 'Groovy', name: `test-same-${suffix}` }),
  ]);
  process.env.DH_TEST_DOCKER_PSK = py.token;
  mcp = await inMemoryServer(
    await writeConfig({
      community: {
        sessions: {
          py: {
            host: '127.0.0.1',
            port: py.port,
            auth_type: 'PSK',
            auth_token_env_var: 'DH_TEST_DOCKER_PSK',
          },
          groovy: { host: '127.0.0.1', port: groovy.port, auth_type: 'Anonymous' },
        },
      },
    }),
  );
});

afterAll(async () => {
  await mcp?.close();
  await Promise.all([py?.stop(), groovy?.stop()]);
});

describe('worker images', () => {
  it('python image worker answers a PSK login and reports python', async () => {
    const r = await call(mcp.client, 'session_details', {
      session_id: 'community:config:py',
      attempt_to_connect: true,
    });
    expect(r.session).toMatchObject({
      liveness_status: 'ONLINE',
      programming_language: 'python',
      deephaven_community_version: pinnedDeephavenVersion(),
    });
  });

  it('groovy image worker answers a login and reports groovy', async () => {
    const r = await call(mcp.client, 'session_details', {
      session_id: 'community:config:groovy',
      attempt_to_connect: true,
    });
    expect(r.session).toMatchObject({ liveness_status: 'ONLINE', programming_language: 'groovy' });
    expect((r.session as Record<string, string>).programming_language_version).toMatch(/^\d+\.\d+/);
  });

  it('two workers of the same session name each run in a container of their own, named after the session', async () => {
    const names = await Promise.all(
      [py, groovy].map(async (w) => (await testDocker().getContainer(w.worker.containerId!).inspect()).Name),
    );
    for (const n of names) expect(n).toMatch(new RegExp(`^/dh-mcp-test-same-${suffix}-[0-9a-f]{6}$`));
    expect(names[0]).not.toBe(names[1]);
  });

  it('publishes on loopback only and keeps the PSK out of the container config', async () => {
    const info = await testDocker().getContainer(py.worker.containerId!).inspect();
    const bindings = info.HostConfig.PortBindings['10000/tcp'] as Array<{ HostIp: string }>;
    expect(bindings.every((b) => b.HostIp === '127.0.0.1')).toBe(true);
    expect(JSON.stringify(info)).not.toContain(py.token!);
  });

  it('stops and removes the container with its volumes', async () => {
    const id = groovy.worker.containerId!;
    const t0 = Date.now();
    await groovy.stop();
    expect(Date.now() - t0).toBeLessThan(12_000);
    await expect(testDocker().getContainer(id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
