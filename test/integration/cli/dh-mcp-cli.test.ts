import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWorker } from '../../../src/deephaven/worker-connection.js';
import {
  listDetached,
  loadDetached,
  sweepDetached,
  saveDetached,
} from '../../../src/tracking/detached-workers.js';
import { pidExists } from '../../../src/util/process-identity.js';
import { DriverSet } from '../../../src/workers/drivers/index.js';
import { PACKAGE_ROOT } from '../../../src/util/paths.js';
import { writeConfig } from '../../helpers/mcp.js';
import { settleTo, snapshot, workerGone, type ResourceSnapshot } from '../../helpers/leaks.js';
import { scoped } from '../../helpers/scope.js';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'cli', 'dh-mcp.js');
let baseline: ResourceSnapshot;
let config: string;

beforeAll(async () => {
  baseline = await snapshot();
  config = await writeConfig({
    community: { session_creation: { defaults: { heap_size_gb: 1, startup_timeout_seconds: 180 } } },
  });
});

afterAll(async () => {
  expect(await settleTo(baseline)).toEqual(baseline);
});

function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 240_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The command a pipeline would run: it checks the environment and really logs in to the worker.
const CHECK = `
const { connectWorker } = await import(${JSON.stringify(path.join(PACKAGE_ROOT, 'dist', 'deephaven', 'worker-connection.js'))});
const ok = process.env.DH_URL === 'http://' + process.env.DH_HOST + ':' + process.env.DH_PORT && /^[0-9a-f]{32}$/.test(process.env.DH_PSK);
const c = await connectWorker({ url: process.env.DH_URL, auth: 'PSK', token: process.env.DH_PSK, timeoutMs: 90_000 });
console.log('logged in as', c.info.consoleType);
await c.close();
process.exit(ok ? Number(process.env.EXIT_WITH ?? 0) : 99);
`;

describe('dh-mcp worker run', () => {
  it.each([
    ['python', 0],
    ['docker', 7],
  ] as const)(
    '%s worker: the command logs in, its exit status %i is the CLI status, nothing is left',
    async (method, code) => {
      const r = cli(
        [
          'worker',
          'run',
          '-c',
          config,
          '--launch-method',
          method,
          '--name',
          scoped(`run-${method}`),
          '--',
          process.execPath,
          '--input-type=module',
          '-e',
          CHECK,
        ],
        { EXIT_WITH: String(code) },
      );
      expect(r.stdout).toContain('logged in as python');
      expect(r.stderr).toMatch(
        new RegExp(`worker '.+' \\(${method}\\) ready at http://127\\.0\\.0\\.1:\\d+`),
      );
      expect(r.status).toBe(code);
      expect(await settleTo(baseline)).toEqual(baseline);
    },
  );

  it('SIGTERM while the command runs: the command is stopped, then the worker; exit 143', async () => {
    const p = spawn(
      process.execPath,
      [CLI, 'worker', 'run', '-c', config, '--launch-method', 'python', '--', 'sleep', '60'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await expect.poll(() => err, { timeout: 180_000 }).toMatch(/ready at/);
    const exited = new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
    p.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(await settleTo(baseline)).toEqual(baseline);
  });

  it('a bad option is a clear error naming it, and starts nothing', () => {
    const r = cli(['worker', 'run', '--heap', 'lots', '--', 'true']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--heap expects a number, got 'lots'/);
    const bad = cli(['worker', 'run', '--launch-method', 'podman', '--', 'true']);
    expect(bad.stderr).toMatch(/launch_method: must be one of 'docker', 'python', got 'podman'/);
  });
});

describe('dh-mcp worker start / ls / stop across processes', () => {
  it.each(['python', 'docker'] as const)(
    '%s: the worker outlives start, ls sees it, a client logs in, stop removes it',
    async (method) => {
      const name = scoped(`ci-${method}`);
      const started = cli([
        'worker',
        'start',
        '-c',
        config,
        '--launch-method',
        method,
        '--name',
        name,
        '--json',
      ]);
      expect(started.status, started.stderr).toBe(0);
      const d = JSON.parse(started.stdout) as Record<string, string | number>;
      expect(d).toMatchObject({
        name,
        method,
        DH_HOST: '127.0.0.1',
        DH_URL: `http://127.0.0.1:${d.DH_PORT}`,
      });
      // The CLI has exited; the worker still serves.
      const c = await connectWorker({
        url: d.DH_URL as string,
        auth: 'PSK',
        token: d.DH_PSK as string,
        timeoutMs: 90_000,
      });
      await c.close();
      const ls = JSON.parse(cli(['worker', 'ls', '--json']).stdout) as Array<{
        name: string;
        alive: boolean;
      }>;
      expect(ls).toContainEqual(expect.objectContaining({ name, alive: true }));
      const stopped = cli(['worker', 'stop', name]);
      expect(stopped.status).toBe(0);
      expect(
        await workerGone({
          pid: d.pid as number | undefined,
          containerId: d.container_id as string | undefined,
        }),
      ).toBe(true);
      expect(d[method === 'python' ? 'pid' : 'container_id']).toBeDefined();
      expect(loadDetached(name)).toBeUndefined();
      expect(cli(['worker', 'stop', name]).stderr).toMatch(/no started worker named/);
    },
  );

  it('plain output is KEY=value lines for $GITHUB_ENV; the sweep removes a worker past its TTL', async () => {
    const r = cli([
      'worker',
      'start',
      '-c',
      config,
      '--launch-method',
      'python',
      '--name',
      'ci-ttl',
      '--ttl',
      '600',
    ]);
    expect(r.stdout).toMatch(
      /^DH_HOST=127\.0\.0\.1\nDH_PORT=\d+\nDH_URL=http:\/\/127\.0\.0\.1:\d+\nDH_PSK=[0-9a-f]{32}\n$/,
    );
    const w = loadDetached('ci-ttl')!;
    // Not expired: the sweep leaves it alone. Expired: the sweep stops it.
    expect(await sweepDetached(new DriverSet())).toEqual([]);
    saveDetached({ ...w, expires_at: new Date(Date.now() - 1000).toISOString() });
    expect(await sweepDetached(new DriverSet())).toEqual(['ci-ttl']);
    expect(pidExists(w.worker.pid as number)).toBe(false);
    expect(listDetached().map((x) => x.name)).not.toContain('ci-ttl');
  });
});

describe('dh-mcp config validate', () => {
  it('accepts a valid file and names the key of an invalid one', async () => {
    expect(cli(['config', 'validate', config])).toMatchObject({ status: 0, stdout: `${config}: valid\n` });
    const bad = await writeConfig({
      community: { session_creation: { max_concurrent_sessions: -1, bogus: 1 } },
    });
    const r = cli(['config', 'validate', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/community\.session_creation\.max_concurrent_sessions/);
    expect(r.stderr).toMatch(/unknown key 'bogus'/);
  });
});
