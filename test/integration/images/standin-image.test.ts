import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWorker, disposeTransports } from '../../../src/deephaven/worker-connection.js';
import { pinnedDeephavenVersion } from '../../../src/util/paths.js';

// The stand-ins for the official Deephaven images (scripts/build-standin-images.sh) keep the official contract,
// proven with plain Docker calls: pulled from the local registry, configured through START_OPTS and a bootstrap
// properties file, ready on the server's own log line, PSK logins, console language per image. Two JVM boots.
const registry = `127.0.0.1:${process.env.DH_MCP_REGISTRY_PORT ?? '5555'}`;
const version = pinnedDeephavenVersion();
const SERVER = `${registry}/deephaven/server:${version}`;
const SLIM = `${registry}/deephaven/server-slim:${version}`;
const READY = /Server started on port (\d+)/;
const BOOT_MS = 240_000;
const docker = new Docker();
const run = `standin-test-${process.pid}`;
const containers: Docker.Container[] = [];

interface Started {
  container: Docker.Container;
  url: string;
  logs: () => string;
}

// The official log pattern colours the thread, level and logger columns.
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const stripAnsi = (s: string): string => s.replace(ANSI_COLOUR, '');

/** One file in a tar archive (ustar), the body putArchive takes. */
function tarOf(name: string, content: string): Buffer {
  const body = Buffer.from(content);
  const header = Buffer.alloc(512);
  const field = (value: string, offset: number, length: number): void => {
    header.write(value, offset, length, 'ascii');
  };
  field(name, 0, 100);
  field('0000644\0', 100, 8);
  field('0000000\0', 108, 8);
  field('0000000\0', 116, 8);
  field(body.length.toString(8).padStart(11, '0') + '\0', 124, 12);
  field(
    Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, '0') + '\0',
    136,
    12,
  );
  field('        ', 148, 8);
  field('0', 156, 1);
  field('ustar\0', 257, 6);
  field('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  field(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, padding, Buffer.alloc(1024)]);
}

async function removeLocalCopy(ref: string): Promise<void> {
  try {
    await docker.getImage(ref).remove();
  } catch (e) {
    // 404: not here. 409: a container of another test uses it; the pull below still goes to the registry.
    const status = (e as { statusCode?: number }).statusCode;
    if (status !== 404 && status !== 409) throw e;
  }
}

async function pull(ref: string): Promise<void> {
  const stream = await docker.pull(ref);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
  );
}

async function start(
  name: string,
  image: string,
  opts: { env: string[]; cmd?: string[]; files?: Buffer },
): Promise<Started> {
  const container = await docker.createContainer({
    Image: image,
    name: `${run}-${name}`,
    Env: opts.env,
    Cmd: opts.cmd,
    Labels: { 'io.dh-mcp.test': run },
    ExposedPorts: { '10000/tcp': {} },
    HostConfig: { PortBindings: { '10000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  containers.push(container);
  if (opts.files) await container.putArchive(opts.files, { path: '/opt/deephaven/config' });
  await container.start();
  let text = '';
  const out = new PassThrough();
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const stream = await container.logs({ follow: true, stdout: true, stderr: true });
  docker.modem.demuxStream(stream, out, out);
  const deadline = Date.now() + BOOT_MS;
  while (!READY.test(stripAnsi(text))) {
    const state = (await container.inspect()).State;
    if (!state.Running)
      throw new Error(`${image} exited (${state.ExitCode}) before it was ready:\n${text.slice(-2000)}`);
    if (Date.now() > deadline)
      throw new Error(`${image} not ready within ${BOOT_MS} ms:\n${text.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const port = (await container.inspect()).NetworkSettings.Ports['10000/tcp']![0]!.HostPort;
  (stream as unknown as { destroy?: () => void }).destroy?.();
  return { container, url: `http://127.0.0.1:${port}`, logs: () => stripAnsi(text) };
}

let py: Started;
let groovy: Started;
const pyPsk = randomBytes(12).toString('hex');
const groovyPsk = randomBytes(12).toString('hex');

beforeAll(async () => {
  const answers = await fetch(`http://${registry}/v2/`).then(
    (r) => r.ok,
    () => false,
  );
  if (!answers) throw new Error(`no registry answers on ${registry}: run scripts/provision-registry.sh`);
  for (const ref of [SERVER, SLIM]) {
    await removeLocalCopy(ref);
    await pull(ref);
  }
  // allSettled: both containers are in `containers` (and removed in afterAll) even when one start fails.
  const [a, b] = await Promise.allSettled([
    start('python', SERVER, { env: [`START_OPTS=-Xmx1g -Dauthentication.psk=${pyPsk}`] }),
    // The PSK in a bootstrap properties file put into the container before start: not in its configuration.
    start('groovy', SLIM, {
      env: ['START_OPTS=-Xmx1g'],
      cmd: ['/opt/deephaven/config/test-bootstrap.prop'],
      files: tarOf('test-bootstrap.prop', `authentication.psk=${groovyPsk}\n`),
    }),
  ]);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  [py, groovy] = [a.value, b.value];
}, 2 * BOOT_MS); // two pulls, then two boots in parallel on a loaded machine

afterAll(async () => {
  await Promise.all(containers.map((c) => c.remove({ force: true, v: true }).catch(() => undefined)));
  await disposeTransports();
});

describe('stand-ins for the official images', () => {
  it('are plain images with the official entry point, volumes, port and health check', async () => {
    for (const [ref, type] of [
      [SERVER, 'server'],
      [SLIM, 'server-slim'],
    ] as const) {
      const info = await docker.getImage(ref).inspect();
      expect(info.RepoDigests.some((d) => d.startsWith(`${registry}/deephaven/${type}@sha256:`))).toBe(true);
      expect(info.Config.Entrypoint).toEqual(['/opt/deephaven/server-jetty/bin/start']);
      expect(Object.keys(info.Config.Volumes ?? {}).sort()).toEqual(['/cache', '/data']);
      expect(Object.keys(info.Config.ExposedPorts ?? {})).toEqual(['10000/tcp']);
      expect(info.Config.Env).toContain('DEEPHAVEN_CONFIG_DIR=/opt/deephaven/config');
      expect(info.Config.Healthcheck?.Interval).toBe(3e9);
      expect(info.Config.Labels?.['io.deephaven.image.type']).toBe(type);
      expect(info.Config.Labels?.['io.dh-mcp.worker-protocol']).toBeUndefined();
    }
    // No dh-mcp worker entry point inside.
    await expect(py.container.getArchive({ path: '/opt/deephaven/bin/dh_worker.py' })).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it('print the official PSK banner, then the ready line', () => {
    const logs = py.logs();
    const banner = logs.indexOf(
      `Superuser access through pre-shared key is enabled - use ${pyPsk} to connect`,
    );
    expect(banner).toBeGreaterThan(-1);
    expect(logs.search(/\| Server started on port 10000/)).toBeGreaterThan(banner);
    expect(groovy.logs()).toContain("# Bootstrapping from file '/opt/deephaven/config/test-bootstrap.prop'");
  });

  it('accept the PSK from START_OPTS and report a python console', async () => {
    const conn = await connectWorker({ url: py.url, auth: 'PSK', token: pyPsk, timeoutMs: 90_000 });
    try {
      expect(conn.info.consoleType).toBe('python');
      expect(conn.info.deephavenVersion).toBe(version);
    } finally {
      await conn.close();
    }
  });

  it('refuse a wrong PSK', async () => {
    await expect(
      connectWorker({ url: py.url, auth: 'PSK', token: `${pyPsk}x`, timeoutMs: 90_000 }),
    ).rejects.toThrow(/rejected the PSK credentials/);
  });

  it('take the PSK from a bootstrap file kept out of docker inspect, and the slim image runs Groovy', async () => {
    expect(JSON.stringify(await groovy.container.inspect())).not.toContain(groovyPsk);
    const conn = await connectWorker({ url: groovy.url, auth: 'PSK', token: groovyPsk, timeoutMs: 90_000 });
    try {
      expect(conn.info.consoleType).toBe('groovy');
      const console = await conn.console();
      const result = await console.runCode('answer = emptyTable(3).update("X = i * 2")');
      expect(result.error ?? undefined).toBeUndefined();
      expect(result.changes.created.map((v) => v.title)).toContain('answer');
    } finally {
      await conn.close();
    }
  });

  it('report healthy through the image health check', async () => {
    const deadline = Date.now() + 60_000;
    let status: string | undefined;
    while (Date.now() < deadline) {
      status = (await py.container.inspect()).State.Health?.Status;
      if (status === 'healthy') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe('healthy');
  });

  it('stop cleanly on SIGTERM', async () => {
    await groovy.container.stop({ t: 20 });
    expect((await groovy.container.inspect()).State.ExitCode).toBe(0);
  });
});
