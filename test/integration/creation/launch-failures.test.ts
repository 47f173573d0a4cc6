import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { PACKAGE_ROOT } from '../../../src/util/paths.js';
import { call, inMemoryServer, writeConfig } from '../../helpers/mcp.js';
import { settleTo, snapshot, type ResourceSnapshot } from '../../helpers/leaks.js';
import { testDocker } from '../../helpers/docker.js';
import { scoped } from '../../helpers/scope.js';

// Every way a launch can fail, on real workers and a real engine: a clear error with the worker's last output,
// the slot freed (max_concurrent_sessions is 1, so a leaked reservation would block the final create), and
// nothing left running.
let mcp: Awaited<ReturnType<typeof inMemoryServer>>;
let baseline: ResourceSnapshot;

// A named volume dh-mcp creates for the worker that is killed for memory: a failed start must remove it again.
const OOM_VOLUME = scoped('oom-volume');

const config = (defaults: Record<string, unknown> = {}) => ({
  // The empty venvs below live in the temp directory: the operator allows tool calls to name venvs there.
  security: { community: { allowed_python_venv_dirs: [os.tmpdir()], allowed_named_volumes: [OOM_VOLUME] } },
  community: {
    session_creation: {
      max_concurrent_sessions: 1,
      defaults: { heap_size_gb: 1, startup_timeout_seconds: 180, ...defaults },
    },
  },
});

beforeAll(async () => {
  baseline = await snapshot();
  mcp = await inMemoryServer(await writeConfig(config()));
});

afterAll(async () => {
  await mcp?.close();
});

// A known PSK, so the test can check that no error (worker output included) ever carries it.
const TOKEN = 'failure-test-psk-0123456789abcdef';

async function expectFailure(args: Record<string, unknown>, pattern: RegExp): Promise<string> {
  const r = await call(mcp.client, 'session_community_create', { auth_token: TOKEN, ...args });
  expect(r.error).not.toContain(TOKEN);
  expect(r.success).toBe(false);
  expect(r.error).toMatch(
    new RegExp(`^Failed to create community session '${args.session_name as string}': `),
  );
  expect(r.error).toMatch(pattern);
  expect((await call(mcp.client, 'sessions_list')).sessions).toEqual([]);
  expect(await settleTo(baseline)).toEqual(baseline);
  return r.error as string;
}

describe('launch failures', () => {
  // With the default pull_policy a missing image is pulled (test/integration/creation/image-pull.test.ts covers
  // unknown tags and unreachable registries); "never" must say how to get it without reaching any registry.
  it('image missing with pull_policy never: says how to get it', async () => {
    await expectFailure(
      {
        session_name: 'no-image',
        launch_method: 'docker',
        docker_image: 'dh-mcp/worker-no-such-image:0',
        pull_policy: 'never',
      },
      /Docker image 'dh-mcp\/worker-no-such-image:0' is not present on this machine and pull_policy is "never"; get it with 'docker pull dh-mcp\/worker-no-such-image:0'.*dh-mcp\/\* images are built/s,
    );
  });

  it('venv without deephaven-server: says how to install it', async () => {
    const venv = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-empty-venv-'));
    execFileSync('python3', ['-m', 'venv', '--without-pip', venv]);
    await expectFailure(
      { session_name: 'empty-venv', launch_method: 'python', python_venv_path: venv },
      /has no deephaven-server; install it with '.*\/bin\/python -m pip install deephaven-server'/,
    );
  });

  it('bad JVM argument: the JVM refusal, with the worker output', async () => {
    const e = await expectFailure(
      { session_name: 'bad-jvm', launch_method: 'python', extra_jvm_args: ['-XX:+NoSuchOptionAtAll'] },
      /failed to create Java VM \(the JVM refused its options: check extra_jvm_args and heap_size_gb\)/,
    );
    expect(e).toMatch(/Last worker output:/);
  });

  it('python worker dies during start: its error and last lines', async () => {
    const e = await expectFailure(
      // Too little metaspace for the classes a boot loads. Class-data sharing (on when the archive exists) maps
      // classes outside the metaspace, so it is turned off here (the last -Xshare wins over the launcher's).
      {
        session_name: 'dies-python',
        launch_method: 'python',
        extra_jvm_args: ['-Xshare:off', '-XX:MaxMetaspaceSize=20m'],
      },
      /the worker failed to start: RuntimeError/,
    );
    expect(e).toMatch(/Last worker output:\n {2}.*\n/);
  });

  it('container exits during start (killed for memory): exit code and cause; the volume it got is removed', async () => {
    await expectFailure(
      // The limit must exceed the heap: the smallest heap and a limit 10 MB above it. The whole heap is committed
      // and touched at JVM start (-Xms, AlwaysPreTouch), so with the JVM's own memory it exceeds the limit on
      // every machine, however fast (left to itself, a boot may or may not outgrow 260 MB before its login).
      // It dies before printing anything; the python case above checks the last lines.
      {
        session_name: scoped('dies-docker'),
        launch_method: 'docker',
        heap_size_gb: 0.25,
        docker_memory_limit_gb: 0.26,
        extra_jvm_args: ['-Xms256m', '-XX:+AlwaysPreTouch'],
        docker_volumes: [`${OOM_VOLUME}:/scratch`],
      },
      /the worker container exited during start \(exit code 137; 137 means it was killed, usually out of memory/,
    );
    await expect(testDocker().getVolume(OOM_VOLUME).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('startup timeout: stops the worker it gave up on', async () => {
    const slow = await inMemoryServer(await writeConfig(config({ startup_timeout_seconds: 1 })));
    try {
      const r = await call(slow.client, 'session_community_create', {
        session_name: 'slow',
        launch_method: 'python',
      });
      // No check of the last lines: after 1 s the JVM may not have printed anything yet (the python case above
      // checks them).
      expect(r.error).toMatch(/did not report ready within 1 s/);
    } finally {
      await slow.close();
    }
    expect(await settleTo(baseline)).toEqual(baseline);
  });

  it('cancelled call: the worker is stopped and the name and slot are free again', async () => {
    const ac = new AbortController();
    const pending = mcp.client.callTool(
      { name: 'session_community_create', arguments: { session_name: 'cancelled', launch_method: 'python' } },
      undefined,
      { signal: ac.signal },
    );
    // Abort once the worker process exists, so there is something to clean up.
    await expect
      .poll(async () => (await snapshot()).workerPids.length, { timeout: 20_000 })
      .toBeGreaterThan(baseline.workerPids.length);
    ac.abort();
    await expect(pending).rejects.toThrow();
    expect(await settleTo(baseline)).toEqual(baseline);
    // The worker is gone first; the reservation is released right after the create's cleanup returns.
    await expect.poll(() => mcp.state.workers.isStarting('cancelled'), { timeout: 5000 }).toBe(false);
  });

  it('Docker engine down (client pointed at a dead socket): names the cause and the alternative', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-nodocker-'));
    const file = await writeConfig(config(), dir);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(PACKAGE_ROOT, 'dist', 'cli', 'systems-server.js')],
      env: {
        ...(process.env as Record<string, string>),
        DH_MCP_CONFIG_FILE: file,
        DOCKER_HOST: `unix://${path.join(dir, 'no-daemon.sock')}`,
      },
      stderr: 'ignore',
    });
    const client = new Client({ name: 'test', version: '1' });
    await client.connect(transport);
    try {
      const r = await call(client, 'session_community_create', {
        session_name: 'no-daemon',
        launch_method: 'docker',
      });
      expect(r.error).toMatch(
        /no Docker engine answers at .*no-daemon\.sock \(DOCKER_HOST, ENOENT\); start .*without Docker, prepare the Python runtime with: npx dh-mcp setup python/,
      );
    } finally {
      await client.close();
    }
  });

  it('after all of that the single slot is free: a create succeeds', async () => {
    const r = await call(mcp.client, 'session_community_create', {
      session_name: 'after',
      launch_method: 'python',
    });
    expect(r.success).toBe(true);
    await call(mcp.client, 'session_community_delete', { session_name: 'after' });
    expect(await settleTo(baseline)).toEqual(baseline);
  });
});
