import type Docker from 'dockerode';
import { SETUP_DOCKER_COMMAND, dockerStartHint } from '../../setup/hints.js';
import { defaultImage } from '../../util/paths.js';
import { dockerClient, dockerEngine } from '../docker-client.js';
import { errorMessage } from '../../util/errors.js';
import { logger } from '../../util/logger.js';
import {
  LaunchError,
  workerEnvironment,
  type DockerSpec,
  type LaunchedWorker,
  type ReadyInfo,
  type WaitOptions,
} from './launcher.js';
import { WorkerBase, WorkerOutput } from './worker-output.js';

const WORKER_PORT = '10000/tcp';
const STOP_GRACE_S = 10;

/** Names Docker accepts, derived from the session name (which the schema keeps to a safe grammar). */
export function containerName(session: string): string {
  return `dh-mcp-${session}`;
}

function explainDockerError(e: unknown, image: string): LaunchError {
  const msg = errorMessage(e);
  const code = (e as { statusCode?: number; code?: string }).statusCode ?? (e as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') {
    return new LaunchError(
      `no Docker engine answers at ${dockerEngine().address} (${dockerEngine().source}, ${code}); ${dockerStartHint()}`,
    );
  }
  if (code === 404 && /image/i.test(msg)) {
    return new LaunchError(
      `Docker image '${image}' is not present on this machine; get it with: ${image === defaultImage('Python') ? SETUP_DOCKER_COMMAND : `docker pull ${image}`} (the offline dh-mcp/* images come from scripts/build-images.sh)`,
    );
  }
  if (code === 409) return new LaunchError(`a container with this name already exists: ${msg}`);
  return new LaunchError(`Docker refused to start the worker: ${msg}`);
}

/**
 * Creates and starts a worker container: port 10000 published on 127.0.0.1 only (the daemon picks a free
 * host port, so there is no allocation race), docker-init as PID 1, the PSK written to the attached stdin
 * (never in the container's environment or arguments), owner labels on the container.
 */
export async function launchDocker(spec: DockerSpec): Promise<LaunchedWorker> {
  const docker = dockerClient();
  const env = workerEnvironment(spec);
  const hostConfig: Docker.HostConfig = {
    Init: true,
    PortBindings: { [WORKER_PORT]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
    Binds: spec.volumes.length ? spec.volumes : undefined,
    Memory: spec.memoryLimitGb ? Math.floor(spec.memoryLimitGb * 1024 ** 3) : undefined,
    NanoCpus: spec.cpuLimit ? Math.floor(spec.cpuLimit * 1e9) : undefined,
  };
  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      name: containerName(spec.name),
      Image: spec.image,
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: spec.labels,
      ExposedPorts: { [WORKER_PORT]: {} },
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      HostConfig: hostConfig,
    });
  } catch (e) {
    throw explainDockerError(e, spec.image);
  }
  const output = new WorkerOutput();
  try {
    const stream = await container.attach({
      stream: true,
      stdin: true,
      stdout: true,
      stderr: true,
      hijack: true,
    });
    const sink = { write: (c: Buffer) => (output.push(c.toString('utf8')), true) };
    docker.modem.demuxStream(
      stream,
      sink as unknown as NodeJS.WritableStream,
      sink as unknown as NodeJS.WritableStream,
    );
    await container.start();
    if (spec.auth === 'PSK' && spec.token) stream.write(`${spec.token}\n`);
    const info = await container.inspect();
    const hostPort = Number(info.NetworkSettings.Ports[WORKER_PORT]?.[0]?.HostPort);
    if (!hostPort) throw new Error('the daemon published no host port');
    return new DockerWorker(spec, container, hostPort, output, stream);
  } catch (e) {
    await container.remove({ force: true, v: true }).catch(() => undefined);
    throw e instanceof LaunchError ? e : explainDockerError(e, spec.image);
  }
}

class DockerWorker extends WorkerBase implements LaunchedWorker {
  readonly method = 'docker' as const;
  readonly containerId: string;
  private exited = false;

  constructor(
    private readonly spec: DockerSpec,
    private readonly container: Docker.Container,
    readonly port: number,
    protected override readonly output: WorkerOutput,
    private readonly stream: NodeJS.ReadWriteStream,
  ) {
    super();
    this.containerId = container.id;
    container.wait().then(
      (r: { StatusCode?: number }) => {
        this.exited = true;
        const killed =
          r.StatusCode === 137
            ? '; 137 means it was killed, usually out of memory: docker_memory_limit_gb must leave room above heap_size_gb'
            : '';
        output.fail(`the worker container exited during start (exit code ${r.StatusCode ?? '?'}${killed})`);
      },
      () => {
        this.exited = true;
        output.fail('lost track of the worker container');
      },
    );
  }

  protected describe(): string {
    return `docker worker '${this.spec.name}' (${this.containerId.slice(0, 12)})`;
  }

  override async waitUntilReady(opts: WaitOptions): Promise<ReadyInfo> {
    // The worker reports its port inside the container (10000); callers want the published host port.
    return { ...(await super.waitUntilReady(opts)), port: this.port };
  }

  async isAlive(): Promise<boolean> {
    if (this.exited) return false;
    try {
      return (await this.container.inspect()).State.Running;
    } catch {
      return false;
    }
  }

  protected async doStop(): Promise<void> {
    try {
      await this.container.stop({ t: STOP_GRACE_S });
    } catch (e) {
      const code = (e as { statusCode?: number }).statusCode;
      if (code !== 304 && code !== 404)
        logger.warn(
          { session: this.spec.name, err: errorMessage(e) },
          'docker stop failed; removing by force',
        );
    }
    this.stream.end();
    // v: the image declares volumes; without it every container would leave two anonymous volumes behind.
    await this.container.remove({ force: true, v: true }).catch((e: unknown) => {
      if ((e as { statusCode?: number }).statusCode !== 404)
        logger.warn({ err: errorMessage(e) }, 'docker remove failed');
    });
  }
}
