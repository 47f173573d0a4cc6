import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDocker } from '../../helpers/docker.js';
import { PACKAGE_ROOT, pinnedDeephavenVersion } from '../../../src/util/paths.js';
import { call } from '../../helpers/mcp.js';

/**
 * The package as a user installs it: `npm pack`, the tarball installed into an empty project, and from then on
 * only the installed binaries. `dh-mcp setup python` builds the runtime into a temporary data directory (pip
 * reads the provisioned wheel cache here for speed; a user's setup reads PyPI), the installed server creates a
 * worker with its embedded default while no Docker engine is reachable, and `dh-mcp worker run` gives a child
 * command a worker. Fault injection: an interrupted setup, a missing JDK, a too-old Python.
 */

const WHEELS = path.join(process.env.DH_MCP_CACHE ?? path.join(os.homedir(), '.cache', 'dh-mcp'), 'wheels');
const RUNTIME = `deephaven-server-${pinnedDeephavenVersion()}`;

let work: string;
let project: string;
let dataDir: string;
let userEnv: Record<string, string>;

const bin = (name: string): string => path.join(project, 'node_modules', '.bin', name);

/** The environment of a user's shell here: none of the repository's development variables. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('DH_MCP_') || k.startsWith('DH_') || k.startsWith('VITEST')) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function run(
  file: string,
  args: string[],
  env: Record<string, string>,
  timeout = 600_000,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(file, args, { cwd: project, env, encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'dh-mcp-installed-'));
  project = path.join(work, 'project');
  dataDir = path.join(work, 'data');
  await mkdir(project);
  await writeFile(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'user-project', private: true }),
  );
  const pack = spawnSync('npm', ['pack', '--silent', '--pack-destination', work], {
    cwd: PACKAGE_ROOT,
    encoding: 'utf8',
  });
  expect(pack.status, pack.stderr).toBe(0);
  const tgz = path.join(work, pack.stdout.trim().split('\n').pop()!);
  const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tgz], {
    cwd: project,
    encoding: 'utf8',
  });
  expect(install.status, install.stderr).toBe(0);
  userEnv = cleanEnv({
    DH_MCP_DATA_DIR: dataDir,
    // Nothing answers here: the embedded default must choose the Python runtime.
    DOCKER_HOST: `unix://${path.join(work, 'no-docker.sock')}`,
    PIP_FIND_LINKS: WHEELS,
    PIP_NO_INDEX: '1',
  });
}, 300_000);

/** Processes running from this test's runtime venv (its workers): scoped to this run, not the whole host. */
function ourWorkers(): number[] {
  const marker = path.join(work, 'data');
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

afterAll(async () => {
  // Everything the installed binaries started is gone (the server and worker run stop their workers).
  if (work) {
    const deadline = Date.now() + 30_000;
    let left = ourWorkers();
    while (left.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      left = ourWorkers();
    }
    expect(left).toEqual([]);
  }
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the installed package: the Python runtime, no Docker engine', () => {
  let firstSetup: ReturnType<typeof run>;

  beforeAll(() => {
    // The one full build of this file; the tests below use the runtime it made.
    firstSetup = run(bin('dh-mcp'), ['setup', 'python', '--json'], userEnv);
  }, 600_000);

  it('dh-mcp setup python built the runtime; a second run is a no-op', () => {
    expect(firstSetup.status, firstSetup.stderr).toBe(0);
    const outcome = JSON.parse(firstSetup.stdout) as SetupJson;
    expect(outcome.steps[0]).toMatchObject({
      step: 'python',
      status: 'ready',
      venv: path.join(dataDir, 'runtime', RUNTIME),
    });
    expect(firstSetup.stderr).toContain('pip: ');
    // ... and the class-data sharing archive of that runtime and JVM, next to it in the data directory.
    expect(outcome.steps[0]?.cds_archive).toMatch(/\/cds\/[0-9a-f]{24}\.jsa$/);
    expect(existsSync(String(outcome.steps[0]?.cds_archive))).toBe(true);
    expect(String(outcome.steps[0]?.cds_archive).startsWith(path.join(dataDir, 'cds'))).toBe(true);
    expect(readdirSync(path.join(dataDir, 'runtime'))).toEqual([RUNTIME]);
    expect(existsSync(path.join(dataDir, 'runtime', RUNTIME, '.dh-mcp-setup.json'))).toBe(true);

    const second = run(bin('dh-mcp'), ['setup', 'python'], userEnv);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toContain('already ready (nothing to do)');
    expect(second.stderr).not.toContain('pip: ');
    expect(second.stderr).toMatch(/embedded default now uses launch_method python/);
  });

  it('the installed server creates a worker with its embedded default (no Docker), runs a script, reads a table, deletes it', () =>
    createScriptReadDelete(userEnv, 'user', 'python'));

  it('dh-mcp worker run gives a child command a worker', () => workerRunGivesAWorker(userEnv, 'python'));
});

describe('the installed package: faults', () => {
  /** A fake interpreter answering the probe the way a CPython 3.8 with a shared libpython would. */
  async function fakePython38(): Promise<string> {
    const fake = path.join(work, 'python3.8');
    await writeFile(
      fake,
      `#!/bin/sh\necho '{"executable": "${fake}", "version": "3.8.18", "major": 3, "minor": 8, "implementation": "cpython", "shared": true, "library": "", "venv": true}'\n`,
    );
    await chmod(fake, 0o755);
    return fake;
  }

  it('an interrupted setup leaves nothing a later run or the server would trust, and a later run removes it', async () => {
    const env = { ...userEnv, DH_MCP_DATA_DIR: path.join(work, 'data-interrupted') };
    const runtimeDir = path.join(env.DH_MCP_DATA_DIR, 'runtime');
    // Its own process group, killed as a whole (as a closed terminal or a CI timeout would): pip dies with it.
    const child = spawn(bin('dh-mcp'), ['setup', 'python'], {
      cwd: project,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let err = '';
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (/pip: (processing|collecting|downloading)/.test(err)) resolve();
      });
      child.on('exit', () => reject(new Error(`setup ended before pip ran:\n${err}`)));
    });
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    expect(existsSync(path.join(runtimeDir, RUNTIME))).toBe(false);
    expect(readdirSync(runtimeDir).filter((n) => n.startsWith(`${RUNTIME}.tmp-`))).toHaveLength(1);

    // The server does not take the half-made venv; its error names the command that fixes it.
    const client = await startServer(env);
    try {
      const r = await call(client, 'session_community_create', { session_name: 'early', heap_size_gb: 1 });
      expect(r.success).toBe(false);
      expect(String(r.error)).toContain('prepare the Python runtime with: npx dh-mcp setup python');
    } finally {
      await client.close();
    }

    // Any later setup removes the leftover first (this one then stops at its too-old interpreter).
    const later = run(bin('dh-mcp'), ['setup', 'python', '--python', await fakePython38()], env);
    expect(later.status).toBe(2);
    expect(readdirSync(runtimeDir)).toEqual([]);
  });

  it('a missing JDK: setup says how to install one', async () => {
    // A PATH with node only, no JAVA_HOME and no JDK folders to search: Java is hidden.
    const nodeOnly = path.join(work, 'node-only');
    await mkdir(nodeOnly, { recursive: true });
    await symlink(process.execPath, path.join(nodeOnly, 'node')).catch(() => undefined);
    const r = run(bin('dh-mcp'), ['setup', 'python'], {
      ...userEnv,
      DH_MCP_DATA_DIR: path.join(work, 'data-no-java'),
      PATH: nodeOnly,
      JAVA_HOME: '',
      DH_MCP_JDK_DIRS: '',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /no Java 17\+ runtime found; install a JDK 17 or newer \(Debian\/Ubuntu: sudo apt-get install openjdk-17-jdk-headless/,
    );
    expect(r.stderr).toContain('then re-run: npx dh-mcp setup python');
  });

  it('a too-old Python: setup says what to install and builds nothing', async () => {
    const otherData = path.join(work, 'data-old-python');
    const r = run(bin('dh-mcp'), ['setup', 'python', '--python', await fakePython38(), '--json'], {
      ...userEnv,
      DH_MCP_DATA_DIR: otherData,
    });
    expect(r.status).toBe(2);
    const outcome = JSON.parse(r.stdout) as { ok: boolean; steps: Array<{ status: string; error: string }> };
    expect(outcome.ok).toBe(false);
    expect(outcome.steps[0]!.status).toBe('failed');
    expect(outcome.steps[0]!.error).toMatch(
      /python3\.8: Python 3\.8\.18 is older than 3\.10\); install Python 3\.10 or newer/,
    );
    expect(existsSync(path.join(otherData, 'runtime', RUNTIME))).toBe(false);
  });
});

describe('the installed package with Docker: setup docker pulls the default image from a registry', () => {
  // The local registry (scripts/provision-registry.sh) stands in for ghcr.io: the stand-in of the official image
  // is pushed under a repository of this run's own, DH_MCP_IMAGE_REGISTRY points the default image there, and
  // the local copy is removed first, so setup must pull it through the registry.
  const registry = `127.0.0.1:${process.env.DH_MCP_REGISTRY_PORT ?? '5555'}`;
  const version = pinnedDeephavenVersion();
  const standin = `${registry}/deephaven/server:${version}`;
  const mirror = `${registry}/dh-mcp-setup-test-${process.pid}`;
  const image = `${mirror}/deephaven/server:${version}`;
  const docker = testDocker();
  let dockerEnv: Record<string, string>;
  let digest: string | undefined;

  const follow = (stream: NodeJS.ReadableStream): Promise<Array<{ aux?: { Digest?: string } }>> =>
    new Promise((resolve, reject) =>
      docker.modem.followProgress(stream, (e: Error | null, out: Array<{ aux?: { Digest?: string } }>) =>
        e ? reject(e) : resolve(out),
      ),
    );

  beforeAll(async () => {
    if (
      !(await docker
        .getImage(standin)
        .inspect()
        .catch(() => undefined))
    )
      await follow(await docker.pull(standin));
    await docker.getImage(standin).tag({ repo: `${mirror}/deephaven/server`, tag: version });
    const pushed = await follow(
      await docker.getImage(image).push({ authconfig: { serveraddress: registry } }),
    );
    digest = pushed.map((e) => e.aux?.Digest).find(Boolean);
    await docker.getImage(image).remove();
    dockerEnv = cleanEnv({ DH_MCP_DATA_DIR: path.join(work, 'data-docker'), DH_MCP_IMAGE_REGISTRY: mirror });
  }, 300_000);

  afterAll(async () => {
    await docker
      .getImage(image)
      .remove()
      .catch(() => undefined);
    if (digest)
      await fetch(
        `http://${registry}/v2/dh-mcp-setup-test-${process.pid}/deephaven/server/manifests/${digest}`,
        {
          method: 'DELETE',
        },
      );
  });

  it('pulls the image through the registry, and a second run does nothing', async () => {
    expect(
      await docker
        .getImage(image)
        .inspect()
        .catch(() => undefined),
    ).toBeUndefined();
    const first = run(bin('dh-mcp'), ['setup', 'docker', '--json'], dockerEnv);
    expect(first.status, first.stderr).toBe(0);
    const outcome = JSON.parse(first.stdout) as SetupJson;
    expect(outcome.steps).toEqual([expect.objectContaining({ step: 'docker', status: 'ready', image })]);
    // The layers are shared with the provisioned stand-in, so the engine fetches the manifest only.
    expect(first.stderr).toContain(`docker: pulling ${image}`);
    // The image is there now, so the embedded default would run Docker workers.
    expect(outcome.default_launch_method).toBe('docker');
    expect((await docker.getImage(image).inspect()).RepoTags).toContain(image);

    const again = run(bin('dh-mcp'), ['setup', 'docker'], dockerEnv);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain('already ready (nothing to do)');
    expect(again.stderr).not.toContain('pulling');
  });

  /** The image is present after setup docker (here or in the pull test above): each test can run alone. */
  async function ensurePulled(): Promise<void> {
    if (
      !(await docker
        .getImage(image)
        .inspect()
        .catch(() => undefined))
    )
      expect(run(bin('dh-mcp'), ['setup', 'docker'], dockerEnv).status).toBe(0);
  }

  it('the installed server creates a plain-image worker with its embedded default (docker), runs a script, reads a table, deletes it', async () => {
    await ensurePulled();
    await createScriptReadDelete(dockerEnv, 'user-docker', 'docker');
  });

  it('dh-mcp worker run gives a child command a plain-image worker', async () => {
    await ensurePulled();
    workerRunGivesAWorker(dockerEnv, 'docker');
  });

  it('no engine answering: setup docker says how to start one, or to go without Docker', () => {
    const r = run(bin('dh-mcp'), ['setup', 'docker'], {
      ...dockerEnv,
      DOCKER_HOST: `unix://${path.join(work, 'no-docker.sock')}`,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no Docker engine answers at .*no-docker\.sock \(DOCKER_HOST\)/);
    expect(r.stderr).toContain('without Docker, prepare the Python runtime with: npx dh-mcp setup python');
  });
});

interface SetupJson {
  ok: boolean;
  steps: Array<Record<string, unknown>>;
  default_launch_method?: string;
}

async function startServer(env: Record<string, string>): Promise<Client> {
  const transport = new StdioClientTransport({
    command: bin('dh-mcp-systems-server'),
    args: [],
    env,
    cwd: project,
    stderr: 'ignore',
  });
  const client = new Client({ name: 'installed-package-test', version: '1' });
  await client.connect(transport);
  return client;
}

/** The installed server's embedded default picks `method`; a script's table reads back; delete succeeds. */
async function createScriptReadDelete(
  env: Record<string, string>,
  session_name: string,
  method: 'python' | 'docker',
): Promise<void> {
  const client = await startServer(env);
  try {
    const c = await call(client, 'session_community_create', { session_name, heap_size_gb: 1 });
    expect(c, JSON.stringify(c)).toMatchObject({ success: true, launch_method: method });
    const id = String(c.session_id);
    const ran = await call(client, 'session_script_run', {
      session_id: id,
      script: 'from deephaven import empty_table\nt = empty_table(3).update(["X = i * 10"])',
    });
    expect(ran.success).toBe(true);
    const data = await call(client, 'session_table_data', {
      session_id: id,
      table_name: 't',
      format: 'json-row',
    });
    expect(data).toMatchObject({ success: true, data: [{ X: 0 }, { X: 10 }, { X: 20 }] });
    expect(await call(client, 'session_community_delete', { session_name })).toMatchObject({
      success: true,
    });
  } finally {
    await client.close();
  }
}

/** `dh-mcp worker run` hands a child command a reachable worker and its generated 32-character PSK. */
function workerRunGivesAWorker(env: Record<string, string>, method: 'python' | 'docker'): void {
  const check = `fetch(process.env.DH_URL + '/ide/').then(r => { console.log('status', r.status, process.env.DH_PSK.length); process.exit(r.ok ? 0 : 3); })`;
  const r = run(bin('dh-mcp'), ['worker', 'run', '--heap', '1', '--', process.execPath, '-e', check], env);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain('status 200 32');
  expect(r.stderr).toMatch(new RegExp(`worker '.*' \\(${method}\\) ready`));
}
