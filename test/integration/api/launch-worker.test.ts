import { expect, it } from 'vitest';
import { launchWorker } from '../../../src/index.js';
import { connectWorker } from '../../../src/deephaven/worker-connection.js';
import { settleTo, snapshot } from '../../helpers/leaks.js';

// The library API as a vitest globalSetup would use it.
it.each([
  ['python', 'Python'],
  ['docker', 'Groovy'],
] as const)(
  'launchWorker (%s, %s): url and token log in; stop() leaves nothing',
  async (launchMethod, programmingLanguage) => {
    const baseline = await snapshot();
    const progress: string[] = [];
    const w = await launchWorker({
      launchMethod,
      programmingLanguage,
      heapSizeGb: 1,
      startupTimeoutSeconds: 180,
      onProgress: (m) => progress.push(m),
    });
    try {
      expect(w).toMatchObject({
        method: launchMethod,
        host: '127.0.0.1',
        authType: 'PSK',
        url: `http://127.0.0.1:${w.port}`,
      });
      expect(w.token).toMatch(/^[0-9a-f]{32}$/);
      expect(progress[0]).toMatch(/^start: launching/);
      const c = await connectWorker({ url: w.url, auth: 'PSK', token: w.token, timeoutMs: 90_000 });
      expect(c.info.consoleType).toBe(programmingLanguage.toLowerCase());
      await c.close();
    } finally {
      await w.stop();
      await w.stop(); // idempotent
    }
    expect(await settleTo(baseline)).toEqual(baseline);
  },
);

it('bad options fail before anything starts', async () => {
  await expect(launchWorker({ heapSizeGb: -1 })).rejects.toThrow(
    /heap_size_gb: must be at least 0.25 GB, got -1/,
  );
  await expect(launchWorker({ startupTimeoutSeconds: 0 })).rejects.toThrow(
    /startupTimeoutSeconds: must be greater than 0 s, got 0/,
  );
});
