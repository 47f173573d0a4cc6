import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWorker } from '../../../src/deephaven/worker-connection.js';
import { CDS_SCRIPT } from '../../../src/setup/cds.js';
import { offlineImage, provisionedVenv, userCacheDir, venvPython } from '../../../src/util/paths.js';
import { testDocker } from '../../helpers/docker.js';
import { freePort } from '../../../src/workers/drivers/python/free-port.js';
import { findJavaHome, launchPython } from '../../../src/workers/drivers/python/launch.js';
import { launchContainer } from '../../../src/workers/drivers/shared/container.js';
import type { ReadyInfo } from '../../../src/workers/drivers/shared/dh-worker-protocol.js';
import { workerEnvironment } from '../../../src/workers/drivers/shared/dh-worker-protocol.js';
import { WorkerOutput } from '../../../src/workers/drivers/shared/worker-output.js';
import { settleTo, snapshot, type ResourceSnapshot } from '../../helpers/leaks.js';
import { TEST_LABELS } from '../../helpers/workers.js';

// Class-data sharing (launchers/dh_cds.py): venv workers map the archive provisioning made for the venv and JVM,
// the dh-mcp image maps the one baked into it, and a worker still starts, quietly, when the archive it finds is
// corrupt or when there is none.

const venv = provisionedVenv();
const javaHome = findJavaHome();
const provisionedDir = path.join(userCacheDir(), 'cds');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'sharing-'));
let baseline: ResourceSnapshot;

beforeAll(async () => {
  baseline = await snapshot();
});
afterAll(async () => {
  expect(await settleTo(baseline)).toEqual(baseline);
});

let boots = 0;

function cds(...args: string[]): string {
  return execFileSync(venvPython(venv), [CDS_SCRIPT, ...args], {
    env: { ...process.env, JAVA_HOME: javaHome },
    encoding: 'utf8',
  }).trim();
}

/** A venv worker started with the given directories in place of the data and cache directories' archives. */
async function bootVenv(env: { DH_MCP_DATA_DIR: string; DH_MCP_CACHE: string }): Promise<{
  ready: ReadyInfo;
  /** Everything the worker printed (the JVM's own warnings come first, before any log tail would keep them). */
  output: string[];
}> {
  const logFile = path.join(scratch, `boot-${++boots}.log`);
  const saved = { DH_MCP_DATA_DIR: process.env.DH_MCP_DATA_DIR, DH_MCP_CACHE: process.env.DH_MCP_CACHE };
  Object.assign(process.env, env);
  let worker;
  try {
    worker = await launchPython({
      name: 'cds',
      auth: 'ANONYMOUS',
      language: 'python',
      heapSizeGb: 1,
      extraJvmArgs: [],
      environment: {},
      exitWithOwner: true,
      venvPath: venv,
      port: await freePort(),
      logFile,
    });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  try {
    const ready = await worker.waitUntilReady({ timeoutMs: 240_000 });
    const c = await connectWorker({
      url: `http://127.0.0.1:${ready.port}`,
      auth: 'ANONYMOUS',
      timeoutMs: 90_000,
    });
    expect(c.info.consoleType).toBe('python');
    await c.close();
    return { ready, output: readFileSync(logFile, 'utf8').split('\n') };
  } finally {
    await worker.stop();
  }
}

describe('venv workers', () => {
  it('map the archive scripts/provision-python.sh made for the venv and JVM', async () => {
    const archive = (() => {
      try {
        return cds('find', provisionedDir);
      } catch {
        throw new Error(
          `no class-data sharing archive in ${provisionedDir}: run scripts/provision-python.sh`,
        );
      }
    })();
    expect(archive).toBe(path.join(provisionedDir, `${cds('key')}.jsa`));
    const { ready } = await bootVenv({
      DH_MCP_DATA_DIR: path.join(scratch, 'empty-data'),
      DH_MCP_CACHE: path.dirname(provisionedDir),
    });
    expect(ready.classDataSharing).toBe('archive');
  }, 300_000);

  it('start without sharing, and without a flood of warnings, when the archive they find is corrupt', async () => {
    // The real archive's first 64 KB (a valid header) followed by garbage, under the name the worker looks for.
    const real = cds('find', provisionedDir);
    const head = Buffer.alloc(64 * 1024);
    const fd = openSync(real, 'r');
    readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    const data = path.join(scratch, 'corrupt-data');
    mkdirSync(path.join(data, 'cds'), { recursive: true });
    writeFileSync(
      path.join(data, 'cds', `${cds('key')}.jsa`),
      Buffer.concat([head, Buffer.alloc(4 << 20, 7)]),
    );
    const { ready, output } = await bootVenv({
      DH_MCP_DATA_DIR: data,
      DH_MCP_CACHE: path.join(scratch, 'no-cache'),
    });
    expect(ready.classDataSharing).toBe('off');
    // What the JVM would say about an archive it rejects ([warning][cds] ..., 'shared archive file ...').
    expect(output.some((l) => l.includes('"event":"starting"'))).toBe(true); // from its first line on
    expect(output.filter((l) => /\[(warning|error)\]|\[cds|shared archive file/i.test(l))).toEqual([]);
  }, 300_000);

  it('start on the JDK default when no archive exists for them', async () => {
    const { ready } = await bootVenv({
      DH_MCP_DATA_DIR: path.join(scratch, 'none-data'),
      DH_MCP_CACHE: path.join(scratch, 'none-cache'),
    });
    expect(ready.classDataSharing).toBe('default');
  }, 300_000);
});

describe('the dh-mcp worker image', () => {
  it('maps the archive baked into it at build time', async () => {
    const worker = await launchContainer(testDocker(), {
      kind: 'dhmcp-image',
      name: 'cds',
      image: offlineImage('Python'),
      env: workerEnvironment({
        auth: 'ANONYMOUS',
        language: 'python',
        heapSizeGb: 1,
        extraJvmArgs: [],
        environment: {},
        exitWithOwner: true,
      }),
      labels: TEST_LABELS,
      volumes: [],
      output: new WorkerOutput(),
    });
    try {
      const ready = await worker.waitUntilReady({ timeoutMs: 240_000 });
      expect(ready.classDataSharing).toBe('archive');
    } finally {
      await worker.stop();
    }
  }, 300_000);
});
