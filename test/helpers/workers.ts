import { randomBytes } from 'node:crypto';
import { defaultImage, provisionedVenv } from '../../src/util/paths.js';
import { testDocker } from './docker.js';
import type { WorkerLanguage } from '../../src/workers/drivers/driver.js';
import { freePort } from '../../src/workers/drivers/python/free-port.js';
import { launchPython } from '../../src/workers/drivers/python/launch.js';
import { launchContainer } from '../../src/workers/drivers/shared/container.js';
import { workerEnvironment } from '../../src/workers/drivers/shared/dh-worker-protocol.js';
import { WorkerOutput } from '../../src/workers/drivers/shared/worker-output.js';
import { SCOPE_LABEL, SCOPE_ROOT } from './scope.js';

/** What a test needs of a launched worker. */
interface LaunchedTestWorker {
  readonly port: number;
  readonly pid?: number;
  readonly containerId?: string;
  logTail(): string[];
  isAlive(): Promise<boolean>;
  stop(): Promise<void>;
}

/** Real workers for integration tests: small heaps, loopback, stopped by the test that started them. */
export interface TestWorker {
  worker: LaunchedTestWorker;
  port: number;
  url: string;
  token?: string;
  stop(): Promise<void>;
}

export const TEST_LABELS = { 'dh-mcp.test': 'true', [SCOPE_LABEL]: SCOPE_ROOT };

export function newToken(): string {
  return randomBytes(16).toString('hex');
}

export async function startVenvWorker(opts: {
  auth: 'PSK' | 'ANONYMOUS';
  language?: WorkerLanguage;
  port?: number;
  token?: string;
}): Promise<TestWorker> {
  const token = opts.auth === 'PSK' ? (opts.token ?? newToken()) : undefined;
  const port = opts.port ?? (await freePort());
  const worker = await launchPython({
    name: `test-${port}`,
    auth: opts.auth,
    token,
    language: opts.language ?? 'python',
    heapSizeGb: 1,
    extraJvmArgs: [],
    environment: {},
    exitWithOwner: true,
    venvPath: provisionedVenv(),
    port,
  });
  try {
    await worker.waitUntilReady({ timeoutMs: 240_000 });
  } catch (e) {
    await worker.stop();
    throw e;
  }
  return { worker, port, url: `http://127.0.0.1:${port}`, token, stop: () => worker.stop() };
}

export async function startDockerWorker(opts: {
  auth: 'PSK' | 'ANONYMOUS';
  language: 'Python' | 'Groovy';
  name: string;
}): Promise<TestWorker> {
  const token = opts.auth === 'PSK' ? newToken() : undefined;
  const worker = await launchContainer(testDocker(), {
    kind: 'dhmcp-image',
    name: opts.name,
    image: defaultImage(opts.language),
    env: workerEnvironment({
      auth: opts.auth,
      token,
      language: opts.language === 'Python' ? 'python' : 'groovy',
      heapSizeGb: 1,
      extraJvmArgs: [],
      environment: {},
      exitWithOwner: true,
    }),
    labels: TEST_LABELS,
    volumes: [],
    stdinSecret: token,
    output: new WorkerOutput(),
  });
  try {
    await worker.waitUntilReady({ timeoutMs: 240_000 });
  } catch (e) {
    await worker.stop();
    throw e;
  }
  return {
    worker,
    port: worker.port,
    url: `http://127.0.0.1:${worker.port}`,
    token,
    stop: () => worker.stop(),
  };
}
