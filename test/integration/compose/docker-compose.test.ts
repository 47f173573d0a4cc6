import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { PACKAGE_ROOT } from '../../../src/util/paths.js';
import { freePort } from '../../../src/workers/drivers/python/free-port.js';
import { call } from '../../helpers/mcp.js';
import { SCOPE_SUFFIX } from '../../helpers/scope.js';

// docker-compose.yml as an operator runs it: up, a tool call over HTTP, down. The project name and the host
// port are this run's own, so another run on the machine cannot collide with it.
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const env = {
  ...process.env,
  DH_PSK: randomBytes(16).toString('hex'),
  COMPOSE_PROJECT_NAME: `dhmcptest-${SCOPE_SUFFIX}`,
  DH_MCP_PORT: String(port),
};
const compose = (...args: string[]): string =>
  execFileSync('docker-compose', ['-f', 'docker-compose.yml', ...args], {
    cwd: PACKAGE_ROOT,
    env,
    encoding: 'utf8',
  });

beforeAll(() => {
  execFileSync('bash', ['scripts/build-server-image.sh'], {
    cwd: PACKAGE_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  compose('up', '-d');
});

afterAll(() => {
  compose('down', '-v', '--timeout', '5');
  expect(compose('ps', '-q').trim()).toBe('');
});

it('docker-compose up: the MCP server answers over streamable HTTP and drives the worker beside it', async () => {
  await expect
    .poll(
      async () =>
        (await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.status,
      { timeout: 60_000, interval: 500 },
    )
    .toBe(200);
  const client = new Client({ name: 'compose-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
  try {
    await expect
      .poll(
        async () =>
          (
            (
              await call(client, 'session_details', {
                session_id: 'community:config:worker',
                attempt_to_connect: true,
              })
            ).session as { liveness_status: string }
          ).liveness_status,
        { timeout: 90_000, interval: 1000 },
      )
      .toBe('ONLINE');
    const r = await call(client, 'session_script_run', {
      session_id: 'community:config:worker',
      script: 'from deephaven import empty_table\ncomposed = empty_table(2).update("X = i + 40")',
    });
    expect(r.created).toEqual([{ name: 'composed', type: 'Table' }]);
    const data = await call(client, 'session_table_data', {
      session_id: 'community:config:worker',
      table_name: 'composed',
      format: 'json-column',
    });
    expect(data.data).toEqual({ X: [40, 41] });
  } finally {
    await client.close();
  }
  // The worker is not published on the host: only the server reaches it.
  expect(compose('port', 'worker', '10000').trim()).toBe('');
});
