import { expect, it } from 'vitest';
import { DeephavenContainer } from '../../../src/testcontainers/deephaven-container.js';
import { connectWorker } from '../../../src/deephaven/worker-connection.js';
import { defaultImage } from '../../../src/util/paths.js';
import { testDocker } from '../../helpers/docker.js';
import { SCOPE_LABEL, SCOPE_ROOT } from '../../helpers/scope.js';

const scope = { [SCOPE_LABEL]: SCOPE_ROOT };

it('PSK (default): ready by the worker line, the PSK logs in, a wrong one does not', async () => {
  const dh = await new DeephavenContainer().withHeapGb(1).withLabels(scope).start();
  try {
    expect(dh.getAuthType()).toBe('PSK');
    const c = await connectWorker({ url: dh.getUrl(), auth: 'PSK', token: dh.getPsk(), timeoutMs: 90_000 });
    expect(c.info.consoleType).toBe('python');
    await c.close();
    await expect(
      connectWorker({ url: dh.getUrl(), auth: 'PSK', token: 'not-the-psk', timeoutMs: 90_000 }),
    ).rejects.toThrow(/rejected/);
  } finally {
    await dh.stop();
  }
});

it('anonymous Groovy worker from the groovy image', async () => {
  const dh = await new DeephavenContainer(defaultImage('Groovy'))
    .withAnonymous()
    .withHeapGb(1)
    .withLabels(scope)
    .start();
  try {
    const c = await connectWorker({ url: dh.getUrl(), auth: 'ANONYMOUS', timeoutMs: 90_000 });
    expect(c.info.consoleType).toBe('groovy');
    await c.close();
  } finally {
    await dh.stop();
  }
});

it('plain Deephaven image (the official-image stand-in, pulled when missing): ready by its own log line, the PSK logs in and stays out of docker inspect', async () => {
  const image = `${process.env.DH_MCP_REGISTRY ?? '127.0.0.1:5555'}/deephaven/server-slim:42.7`;
  const dh = await new DeephavenContainer(image)
    .withHeapGb(1)
    .withLabels(scope)
    .withStartupTimeout(300_000)
    .start();
  try {
    const c = await connectWorker({ url: dh.getUrl(), auth: 'PSK', token: dh.getPsk(), timeoutMs: 90_000 });
    expect(c.info.consoleType).toBe('groovy');
    await c.close();
    await expect(
      connectWorker({ url: dh.getUrl(), auth: 'PSK', token: 'not-the-psk', timeoutMs: 90_000 }),
    ).rejects.toThrow(/rejected/);
    const inspect = JSON.stringify(await testDocker().getContainer(dh.getId()).inspect());
    expect(inspect).not.toContain(dh.getPsk()!);
  } finally {
    await dh.stop();
  }
}, 600_000);
