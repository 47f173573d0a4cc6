import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../src/util/paths.js';
import { testDocker } from '../../helpers/docker.js';

// `dh-mcp worker run` with a plain Deephaven image (the official-image stand-in from the local registry): the
// command gets a worker it can log in to, and the container is gone afterwards.
const CLI = path.join(PACKAGE_ROOT, 'dist', 'cli', 'dh-mcp.js');
const IMAGE = `${process.env.DH_MCP_REGISTRY ?? '127.0.0.1:5555'}/deephaven/server:42.7`;

const CHECK = `
const { connectWorker } = await import(${JSON.stringify(path.join(PACKAGE_ROOT, 'dist', 'deephaven', 'worker-connection.js'))});
const c = await connectWorker({ url: process.env.DH_URL, auth: 'PSK', token: process.env.DH_PSK, timeoutMs: 90_000 });
console.log('logged in as', c.info.consoleType, c.info.deephavenVersion);
await c.close();
`;

it('worker run with a plain image: the command logs in; the container is removed', async () => {
  const name = `cli-plain-${process.pid}`;
  const r = spawnSync(
    process.execPath,
    [
      CLI,
      'worker',
      'run',
      '--launch-method',
      'docker',
      '--image',
      IMAGE,
      '--heap',
      '1',
      '--startup-timeout',
      '300',
      '--name',
      name,
      '--',
      process.execPath,
      '--input-type=module',
      '-e',
      CHECK,
    ],
    { encoding: 'utf8', timeout: 590_000 },
  );
  expect(r.stdout, r.stderr).toContain('logged in as python 42.7');
  expect(r.stderr).toMatch(new RegExp(`worker '${name}' \\(docker\\) ready at http://127\\.0\\.0\\.1:\\d+`));
  expect(r.status).toBe(0);
  const left = await testDocker().listContainers({ all: true, filters: { name: [`dh-mcp-${name}`] } });
  expect(left).toEqual([]);
}, 600_000);
