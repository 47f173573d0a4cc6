import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { z } from 'zod';
import { SETUP_DOCKER_COMMAND, dockerStartHint } from '../../../setup/hints.js';
import { errorMessage } from '../../../util/errors.js';
import { defaultImage } from '../../../util/paths.js';
import { dockerEngine } from '../../docker-client.js';
import { logger } from '../../../util/logger.js';
import { withTimeout } from '../../../util/timeout.js';
import { LaunchError } from '../../launch-error.js';
import { LABELS } from '../../owner-labels.js';
import { parseVolume } from '../../params/volumes.js';
import type { AttachedWorker, RunningWorker, WorkerKind, WorkerRecord } from '../driver.js';
import type { ReadyInfo, WaitOptions } from './dh-worker-protocol.js';
import { WorkerBase, WorkerOutput } from './worker-output.js';

/** The port Deephaven listens on inside every worker image. */
export const WORKER_PORT = '10000/tcp';
const STOP_GRACE_S = 10;

/**
 * A name Docker accepts, readable as the session's (which the schema keeps to a safe grammar), with a random
 * suffix: container names are machine-wide, and two servers (say, two assistants' dh-mcp) may each have a
 * session of the same name. Owners find their containers by label and id, never by name.
 */
export function containerName(session: string): string {
  return `dh-mcp-${session}-${randomBytes(3).toString('hex')}`;
}

export const ContainerRecordSchema = z.object({
  kind: z.string(),
  container_id: z.string().min(1),
  port: z.number().int().optional(),
});
export type ContainerRecord = z.infer<typeof ContainerRecordSchema>;

export function explainDockerError(e: unknown, image: string): LaunchError {
  const msg = errorMessage(e);
  const code = (e as { statusCode?: number; code?: string }).statusCode ?? (e as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES') {
    const engine = dockerEngine();
    return new LaunchError(
      `no Docker engine answers at ${engine.address} (${engine.source}, ${code}); ${dockerStartHint()}`,
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

export interface ContainerSpec {
  kind: WorkerKind;
  /** The session name; it names the container. */
  name: string;
  image: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  memoryLimitGb?: number;
  cpuLimit?: number;
  volumes: string[];
  /** Arguments to the image's entry point (undefined: the image's own CMD). */
  cmd?: string[];
  /** Written to the container's stdin once it runs (the DH-WORKER PSK channel); never in its environment. */
  stdinSecret?: string;
  /** Reads the worker's output for its ready line. */
  output: WorkerOutput;
  /** Runs between create and start (files put into the container before it boots). */
  beforeStart?: (container: Docker.Container) => Promise<void>;
}

/**
 * Creates and starts a worker container: port 10000 published on 127.0.0.1 only (the daemon picks a free
 * host port, so there is no allocation race), docker-init as PID 1, the owner and kind labels, stdin attached
 * (for a secret, and so a DH-WORKER worker notices when its owner is gone).
 */
export async function launchContainer(docker: Docker, spec: ContainerSpec): Promise<ContainerWorker> {
  const volumes = await prepareNamedVolumes(docker, spec);
  try {
    return await createAndStart(docker, spec, volumes);
  } catch (e) {
    await removeVolumes(
      docker,
      volumes.filter((v) => v.created),
    );
    throw e;
  }
}

/** A Docker named volume a worker mounts; `created`: dh-mcp made it for this worker (it carries our labels). */
export interface NamedVolume {
  name: string;
  created: boolean;
}

/**
 * Named volumes are made before the container, with the owner labels, rather than implicitly by Docker: a
 * volume nobody labelled could not be told apart from the user's own later. Existing volumes are used as they
 * are and never touched.
 */
async function prepareNamedVolumes(docker: Docker, spec: ContainerSpec): Promise<NamedVolume[]> {
  const names = [...new Set(spec.volumes.map(parseVolume).flatMap((v) => (v?.named ? [v.host] : [])))];
  const out: NamedVolume[] = [];
  try {
    for (const name of names) {
      const exists = await docker
        .getVolume(name)
        .inspect()
        .then(
          () => true,
          (e: { statusCode?: number }) => {
            if (e.statusCode === 404) return false;
            throw e;
          },
        );
      if (!exists)
        await docker.createVolume({ Name: name, Labels: { ...spec.labels, [LABELS.kind]: spec.kind } });
      out.push({ name, created: !exists });
    }
    return out;
  } catch (e) {
    await removeVolumes(
      docker,
      out.filter((v) => v.created),
    );
    throw new LaunchError(`Docker could not prepare the named volumes of docker_volumes: ${errorMessage(e)}`);
  }
}

async function removeVolumes(docker: Docker, volumes: NamedVolume[]): Promise<void> {
  await Promise.all(
    volumes.map((v) =>
      docker
        .getVolume(v.name)
        .remove()
        .catch((e: unknown) =>
          logger.warn({ volume: v.name, err: errorMessage(e) }, 'cannot remove a volume'),
        ),
    ),
  );
}

async function createAndStart(
  docker: Docker,
  spec: ContainerSpec,
  volumes: NamedVolume[],
): Promise<ContainerWorker> {
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
      ...(spec.cmd ? { Cmd: spec.cmd } : {}),
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: { ...spec.labels, [LABELS.kind]: spec.kind },
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
  const output = spec.output;
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
    await spec.beforeStart?.(container);
    await container.start();
    if (spec.stdinSecret) stream.write(`${spec.stdinSecret}\n`);
    const info = await container.inspect();
    const hostPort = Number(info.NetworkSettings.Ports[WORKER_PORT]?.[0]?.HostPort);
    if (!hostPort) throw new Error('the daemon published no host port');
    return new ContainerWorker(spec, docker, container, hostPort, stream, volumes);
  } catch (e) {
    await container.remove({ force: true, v: true }).catch(() => undefined);
    throw e instanceof LaunchError ? e : explainDockerError(e, spec.image);
  }
}

/**
 * The one stop of a worker container: stop with a grace, then remove it with its anonymous volumes (the
 * official images declare /data and /cache; without `v` every container would leave two volumes behind).
 */
export async function stopContainer(docker: Docker, id: string): Promise<'stopped' | 'gone'> {
  const c = docker.getContainer(id);
  try {
    await c.stop({ t: STOP_GRACE_S });
  } catch (e) {
    const code = (e as { statusCode?: number }).statusCode;
    if (code === 404) return 'gone';
    if (code !== 304)
      logger.warn(
        { container: id.slice(0, 12), err: errorMessage(e) },
        'docker stop failed; removing by force',
      );
  }
  try {
    await c.remove({ force: true, v: true });
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return 'gone';
    logger.warn({ container: id.slice(0, 12), err: errorMessage(e) }, 'docker remove failed');
  }
  return 'stopped';
}

async function containerRunning(docker: Docker, id: string): Promise<boolean> {
  try {
    return (await docker.getContainer(id).inspect()).State.Running;
  } catch {
    return false;
  }
}

export class ContainerWorker extends WorkerBase {
  readonly containerId: string;
  private exited = false;

  constructor(
    private readonly spec: ContainerSpec,
    private readonly docker: Docker,
    container: Docker.Container,
    readonly port: number,
    private readonly stream: NodeJS.ReadWriteStream,
    private readonly volumes: NamedVolume[] = [],
  ) {
    super(spec.output);
    this.containerId = container.id;
    // The exit can be reported before the last output has come through the attach stream: wait (briefly) for
    // the stream to end, so the error carries the worker's last lines.
    const streamEnded = new Promise<void>((resolve) => {
      stream.once('end', resolve);
      stream.once('close', resolve);
      stream.once('error', () => resolve());
    });
    container.wait().then(
      async (r: { StatusCode?: number }) => {
        // The 1 s bound must not keep a server that is exiting alive.
        await Promise.race([streamEnded, sleep(1000, undefined, { ref: false })]);
        this.exited = true;
        const killed =
          r.StatusCode === 137
            ? '; 137 means it was killed, usually out of memory: docker_memory_limit_gb must leave room above heap_size_gb'
            : '';
        spec.output.fail(
          `the worker container exited during start (exit code ${r.StatusCode ?? '?'}${killed})`,
        );
      },
      () => {
        this.exited = true;
        spec.output.fail('lost track of the worker container');
      },
    );
  }

  protected describe(): string {
    return `${this.spec.kind} worker '${this.spec.name}' (${this.containerId.slice(0, 12)})`;
  }

  override async waitUntilReady(opts: WaitOptions): Promise<ReadyInfo> {
    // The worker reports its port inside the container (10000); callers want the published host port.
    return { ...(await super.waitUntilReady(opts)), port: this.port };
  }

  async isAlive(): Promise<boolean> {
    return !this.exited && (await containerRunning(this.docker, this.containerId));
  }

  record(): ContainerRecord {
    return { kind: this.spec.kind, container_id: this.containerId, port: this.port };
  }

  protected async doStop(): Promise<void> {
    await stopContainer(this.docker, this.containerId);
    this.stream.end();
  }

  /**
   * Stops a worker whose start failed and removes the named volumes dh-mcp created for it: a failed create leaves
   * nothing behind (a delete keeps them, as they hold data on purpose).
   */
  async discard(): Promise<void> {
    await this.stop();
    if (!(await this.isAlive()))
      await removeVolumes(
        this.docker,
        this.volumes.filter((v) => v.created),
      );
  }

  /** The driver's view of this worker once ready. */
  running(ready: ReadyInfo, extra: { console?: string; secretExposure?: string } = {}): RunningWorker {
    return {
      kind: this.spec.kind,
      port: this.port,
      version: ready.version,
      console: extra.console ?? ready.console,
      secretExposure: extra.secretExposure,
      identity: { container_id: this.containerId },
      noun: 'container',
      record: () => this.record(),
      describe: () => ({
        container_id: this.containerId,
        image: this.spec.image,
        ...(extra.secretExposure ? { psk_exposure: extra.secretExposure } : {}),
        ...(this.volumes.length
          ? { named_volumes: this.volumes.map((v) => ({ name: v.name, created_by_dh_mcp: v.created })) }
          : {}),
      }),
      // Named volumes hold data on purpose: they outlive the worker, and the delete answer says so.
      leftBehind: () =>
        this.volumes.map(
          (v) =>
            `Docker volume '${v.name}' (${v.created ? 'created by dh-mcp for this worker, labelled with its session' : 'existed before'}) was kept; remove it with: docker volume rm ${v.name}`,
        ),
      isAlive: () => this.isAlive(),
      discard: () => this.discard(),
      deathCause: () => this.deathCause(),
      logTail: () => this.logTail(),
      stop: () => this.stop(),
      // Labels cannot change on a container: dh-mcp.session keeps the name it was started with.
      rename: async (session) => {
        await this.docker.getContainer(this.containerId).rename({ name: containerName(session) });
      },
    };
  }
}

export function attachContainer(
  docker: () => Docker,
  kind: WorkerKind,
  record: WorkerRecord,
): AttachedWorker | undefined {
  const parsed = ContainerRecordSchema.safeParse(record);
  if (!parsed.success || parsed.data.kind !== kind) return undefined;
  const id = parsed.data.container_id;
  return {
    identity: { container_id: id },
    description: `${kind} container ${id.slice(0, 12)}`,
    isAlive: () => containerRunning(docker(), id),
    stop: () => stopContainer(docker(), id),
  };
}

/** Removes this kind's containers (found by label, so a lost record hides nothing) whose owner is gone. */
export async function sweepContainers(
  docker: Docker,
  kind: WorkerKind,
  isOrphan: (labels: Record<string, string>) => boolean,
): Promise<string[]> {
  let containers: Docker.ContainerInfo[];
  try {
    // Bounded: creates wait for the sweep, and an engine that accepts but never answers must not hold them.
    containers = await withTimeout(
      docker.listContainers({ all: true, filters: { label: [LABELS.instance, `${LABELS.kind}=${kind}`] } }),
      5000,
      'listing containers',
    );
  } catch (e) {
    logger.debug({ err: errorMessage(e) }, 'container sweep skipped: Docker engine not answering');
    return [];
  }
  const removed: string[] = [];
  await Promise.all(
    containers
      .filter((c) => isOrphan(c.Labels))
      .map(async (c) => {
        try {
          await docker.getContainer(c.Id).remove({ force: true, v: true });
          removed.push(c.Id);
          logger.info(
            { container: c.Id.slice(0, 12), session: c.Labels[LABELS.session], kind },
            'removed orphaned worker container',
          );
        } catch (e) {
          if ((e as { statusCode?: number }).statusCode !== 404)
            logger.warn(
              { container: c.Id.slice(0, 12), err: errorMessage(e) },
              'cannot remove orphaned container',
            );
        }
      }),
  );
  return removed;
}
