import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { testDocker } from '../../helpers/docker.js';
import { pidExists, processStartTime } from '../../../src/util/process-identity.js';
import { writeConfig } from '../../helpers/mcp.js';
import { settleTo, snapshot } from '../../helpers/leaks.js';
import { scoped } from '../../helpers/scope.js';
import { StdioPeer } from '../../helpers/stdio-peer.js';
import { instanceRecords } from '../../helpers/instance-records.js';

// kill -9 of the server while a docker and a python worker run: the next server start removes both, and a
// decoy process that now holds a tracked pid (pid reuse) is left alone.
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-orphans-'));
const decoys: number[] = [];

afterAll(() => {
  for (const pid of decoys) if (pidExists(pid)) process.kill(pid, 'SIGKILL');
});

async function server(): Promise<StdioPeer> {
  const file = await writeConfig({
    community: { session_creation: { defaults: { heap_size_gb: 1, startup_timeout_seconds: 180 } } },
  });
  const peer = new StdioPeer({ ...process.env, DH_MCP_CONFIG_FILE: file, DH_MCP_DATA_DIR: dataDir });
  await peer.initialize();
  return peer;
}

/** One python and one docker worker through the server's tool, named `<prefix>-py-…` and `<prefix>-dk-…`. */
async function createBoth(
  peer: StdioPeer,
  prefix: string,
): Promise<{ py: Record<string, unknown>; dk: Record<string, unknown> }> {
  const create = (suffix: string, method: string) =>
    peer.callTool('session_community_create', {
      session_name: scoped(`${prefix}-${suffix}`),
      launch_method: method,
    });
  const py = await create('py', 'python');
  const dk = await create('dk', 'docker');
  expect(py.success && dk.success).toBe(true);
  return { py, dk };
}

it('kill -9 leaves workers behind; the next start removes them and spares a decoy holding a tracked pid', async () => {
  const baseline = await snapshot();
  const first = await server();
  const { py, dk } = await createBoth(first, 'orphan');
  const pyPid = py.process_id as number;
  const containerId = dk.container_id as string;

  // Workers stop by themselves when their owner's pipe closes; freeze the python one so it cannot, as a wedged
  // worker would be, and the sweep has to do the work.
  process.kill(pyPid, 'SIGSTOP');
  first.proc.kill('SIGKILL');
  await first.exited;

  // A decoy takes over a tracked pid: recorded with the start time the real worker had, it now belongs to a
  // process with a different one, exactly what pid reuse looks like.
  const decoy = spawn('sleep', ['600'], { stdio: 'ignore' });
  decoys.push(decoy.pid!);
  const [rec] = instanceRecords(dataDir);
  expect(rec).toBeDefined();
  const body = rec!.body as {
    workers: Record<string, { kind: string; pid?: number; start_time?: string; container_id?: string }>;
  };
  expect(body.workers[scoped('orphan-py')]).toMatchObject({
    kind: 'python',
    pid: pyPid,
    start_time: processStartTime(pyPid),
  });
  body.workers.reused = {
    kind: 'python',
    pid: decoy.pid!,
    start_time: String(Number(processStartTime(decoy.pid!)) - 1),
  };
  writeFileSync(rec!.file, JSON.stringify(body));

  expect(pidExists(pyPid)).toBe(true);
  expect((await testDocker().getContainer(containerId).inspect()).Id).toBe(containerId);

  const second = await server();
  try {
    await expect.poll(() => pidExists(pyPid), { timeout: 20_000 }).toBe(false);
    await expect
      .poll(
        async () =>
          testDocker()
            .getContainer(containerId)
            .inspect()
            .then(
              () => 'present',
              (e: { statusCode?: number }) => String(e.statusCode),
            ),
        { timeout: 20_000 },
      )
      .toBe('404');
    expect(pidExists(decoy.pid!)).toBe(true);
    // The sweep runs in the background and removes the record once every worker in it is stopped.
    await expect
      .poll(() => instanceRecords(dataDir).map((r) => r.file), { timeout: 20_000 })
      .not.toContain(rec!.file);
  } finally {
    second.proc.stdin.end();
    await second.exited;
  }
  decoy.kill('SIGKILL');
  decoys.pop();
  expect(await settleTo(baseline)).toEqual(baseline);
});

// Every way to end the server runs one shutdown path, which stops workers of either kind alike: both kinds
// under one signal, one python worker under each other way (each JVM boot costs a quarter of a minute).
it.each([
  ['SIGTERM', ['python', 'docker']],
  ['SIGINT', ['python']],
  ['SIGHUP', ['python']],
  ['stdin EOF', ['python']],
] as const)('%s with %j workers alive: all stopped, exit 0 within 15 s', async (how, methods) => {
  const baseline = await snapshot();
  const peer = await server();
  for (const method of methods) {
    const r = await peer.callTool('session_community_create', {
      session_name: scoped(`live-${method}`),
      launch_method: method,
    });
    expect(r.success, String(r.error)).toBe(true);
  }
  expect((await snapshot()).workerPids.length).toBe(baseline.workerPids.length + 1);
  const t0 = Date.now();
  if (how === 'stdin EOF') peer.proc.stdin.end();
  else peer.proc.kill(how);
  const exit = await peer.exited;
  expect(Date.now() - t0).toBeLessThan(15_000);
  expect(exit).toEqual({ code: 0, signal: null });
  // Gone at exit, not eventually: no settling allowed for the worker processes and containers.
  const after = await snapshot();
  expect(after.workerPids).toEqual(baseline.workerPids);
  expect(after.containers).toEqual(baseline.containers);
  expect(readdirSync(path.join(dataDir, 'instances')).filter((f) => f.endsWith('.json'))).toEqual([]);
});
