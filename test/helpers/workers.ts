import { randomBytes } from 'node:crypto';
import { launchDocker } from '../../src/creation/launchers/docker-launcher.js';
import type { LaunchedWorker, WorkerLanguage } from '../../src/creation/launchers/launcher.js';
import { launchPython } from '../../src/creation/launchers/python-launcher.js';
import { freePort } from '../../src/creation/ports.js';
import { defaultImage, provisionedVenv } from '../../src/util/paths.js';
import { SCOPE_LABEL, SCOPE_ROOT } from './scope.js';

/** Real workers for integration tests: small heaps, loopback, stopped by the test that started them. */
export interface TestWorker {
  worker: LaunchedWorker;
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
    labels: TEST_LABELS,
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
  const worker = await launchDocker({
    name: opts.name,
    auth: opts.auth,
    token,
    language: opts.language === 'Python' ? 'python' : 'groovy',
    heapSizeGb: 1,
    extraJvmArgs: [],
    environment: {},
    labels: TEST_LABELS,
    exitWithOwner: true,
    image: defaultImage(opts.language),
    volumes: [],
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
