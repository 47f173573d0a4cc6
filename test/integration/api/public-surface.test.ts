import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { expect, it } from 'vitest';
import * as lib from '../../../src/index.js';
import { PACKAGE_ROOT } from '../../../src/util/paths.js';
import { call, writeConfig } from '../../helpers/mcp.js';

// The package's deliberate public surface, and its promise that importing it changes nothing in the caller.
it('exports exactly the documented surface (no internals such as AppState)', () => {
  expect(Object.keys(lib).sort()).toEqual([
    'ConfigError',
    'SERVER_NAME',
    'SERVER_VERSION',
    'createServer',
    'launchWorker',
    'readConfigFile',
    'validateConfig',
  ]);
});

// testcontainers itself (a peer dependency the caller imports anyway) installs exit hooks when loaded: the
// comparison for our module starts after it is loaded.
it.each([
  ['dh-mcp', 'index.js', ''],
  ['dh-mcp/testcontainers', 'testcontainers/deephaven-container.js', "await import('testcontainers');"],
])(
  'importing %s (built) leaves the environment and the signal handlers as they were, and holds the process open for nothing',
  (_, entry, prelude) => {
    const script = `
      ${prelude}
      const watched = ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit', 'beforeExit', 'uncaughtException', 'unhandledRejection'];
      const state = () => JSON.stringify({ env: process.env, listeners: watched.map((e) => process.listenerCount(e)) });
      const before = state();
      await import(${JSON.stringify(path.join(PACKAGE_ROOT, 'dist', entry))});
      process.stdout.write(state() === before ? 'unchanged' : 'changed: ' + state());
    `;
    const env = { ...process.env };
    delete env.TESTCONTAINERS_RYUK_DISABLED;
    delete env.TESTCONTAINERS_HOST_OVERRIDE;
    // Exits by itself (no timer, socket or child left behind by the import) well within the timeout.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('unchanged');
    expect(r.status).toBe(0);
  },
);

it('validateConfig is the same check the server runs, naming the key path', () => {
  expect(() => lib.validateConfig({ community: { sessions: { a: { port: 0 } } } }, 'inline')).toThrow(
    lib.ConfigError,
  );
  expect(() => lib.validateConfig({ community: { sessions: { a: { port: 0 } } } }, 'inline')).toThrow(
    /community\.sessions\.a\.port/,
  );
});

it('createServer: two MCP clients on one shared state; close() ends it', async () => {
  const server = await lib.createServer({
    configFile: await writeConfig({ community: { sessions: { a: { host: '127.0.0.1', port: 10999 } } } }),
  });
  try {
    for (let i = 0; i < 2; i++) {
      const mcp = server.newMcpServer();
      const [a, b] = InMemoryTransport.createLinkedPair();
      await mcp.connect(a);
      const client = new Client({ name: `embed-${i}`, version: '1' });
      await client.connect(b);
      expect((await call(client, 'sessions_list')).sessions).toEqual([
        { session_id: 'community:config:a', type: 'COMMUNITY', source: 'config', session_name: 'a' },
      ]);
      await client.close();
      await mcp.close();
    }
  } finally {
    await server.close();
  }
});
