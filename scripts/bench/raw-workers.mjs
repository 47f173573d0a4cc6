// Workers started by the drivers' own launch code, without the server around them (for "raw boot" figures).
import { createDockerClient } from '../../dist/workers/docker-client.js';
import { launchPython } from '../../dist/workers/drivers/python/launch.js';
import { launchContainer } from '../../dist/workers/drivers/shared/container.js';
import { workerEnvironment } from '../../dist/workers/drivers/shared/dh-worker-protocol.js';
import { WorkerOutput } from '../../dist/workers/drivers/shared/worker-output.js';

import { freePort } from '../../dist/workers/drivers/python/free-port.js';
import { provisionedVenv } from '../../dist/util/paths.js';

export { freePort };

/** A venv worker through launchers/dh_worker.py. spec: the DH-WORKER spec plus name, venvPath, port. */
export const rawPython = (spec) => launchPython(spec);

/**
 * The table benches' worker: an anonymous Python worker with a 4 GB heap from the provisioned venv on a free
 * port, ready. Returns the worker and its port.
 */
export async function tableBenchWorker(name) {
  const port = await freePort();
  const worker = await rawPython({
    name,
    auth: 'ANONYMOUS',
    language: 'python',
    heapSizeGb: 4,
    extraJvmArgs: [],
    environment: {},
    labels: {},
    exitWithOwner: true,
    venvPath: provisionedVenv(),
    port,
  });
  await worker.waitUntilReady({ timeoutMs: 180_000 });
  return { worker, port };
}

/** A dh-mcp image container (DH-WORKER protocol). spec: the DH-WORKER spec plus name, image, labels. */
export const rawDhmcpImage = (spec) =>
  launchContainer(createDockerClient(), {
    kind: 'dhmcp-image',
    name: spec.name,
    image: spec.image,
    env: workerEnvironment(spec),
    labels: spec.labels ?? {},
    volumes: [],
    stdinSecret: spec.auth === 'PSK' ? spec.token : undefined,
    output: new WorkerOutput(),
  });
