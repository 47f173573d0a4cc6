import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/discover.js';
import { readConfigFile } from '../config/load.js';
import { SessionCreationSchema, type SessionCreationConfig } from '../config/schema.js';
import { resolveCreateRequest, type CreateArgs, type CreatePlan } from '../creation/create-request.js';
import { InstanceTracker } from '../tracking/instance-tracker.js';
import { UserError } from '../util/errors.js';
import { DriverSet } from '../workers/drivers/index.js';
import { startWorker } from '../workers/start-worker.js';
import type { WorkerHandle } from '../workers/worker-handle.js';

/** Options of `launchWorker` (and of `dh-mcp worker run|start`): session_community_create's, in camelCase. */
export interface LaunchWorkerOptions {
  /** Worker name (default: `worker-<random>`); names the container `dh-mcp-<name>`. */
  name?: string;
  launchMethod?: 'docker' | 'python';
  programmingLanguage?: 'Python' | 'Groovy';
  authType?: 'PSK' | 'Anonymous';
  /** A PSK to use; by default one is generated (128 bits). */
  authToken?: string;
  heapSizeGb?: number;
  extraJvmArgs?: string[];
  environment?: Record<string, string>;
  dockerImage?: string;
  dockerMemoryLimitGb?: number;
  dockerCpuLimit?: number;
  dockerVolumes?: string[];
  /** When to pull the Docker image: "missing" (default), "always" or "never". */
  pullPolicy?: 'missing' | 'always' | 'never';
  pythonVenvPath?: string;
  startupTimeoutSeconds?: number;
  /** Take defaults from this deephaven_mcp.json (community.session_creation.defaults); default: discovery. */
  configFile?: string;
  /** Progress lines (image pull, worker start). */
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

/** A running worker and how to reach it. */
export interface LaunchedDeephavenWorker {
  name: string;
  /** The launch method it was started with. */
  method: 'docker' | 'python';
  /** The worker kind that runs it: python, dhmcp-image or plain-image. */
  kind: string;
  host: string;
  port: number;
  /** `http://127.0.0.1:<port>`: what programs connect to. */
  url: string;
  /** `http://localhost:<port>`: what a person opens. */
  browserUrl: string;
  /** The Deephaven version the worker reported. */
  version?: string;
  /** The PSK, or undefined for an anonymous worker. */
  token?: string;
  authType: 'PSK' | 'ANONYMOUS';
  programmingLanguage?: string;
  pid?: number;
  containerId?: string;
  /** Stops the worker and frees everything it held. Idempotent. */
  stop(): Promise<void>;
}

/** The session_creation defaults for the CLI and library: from the config if it has any, else the reference's. */
export async function creationDefaults(configFile?: string): Promise<SessionCreationConfig> {
  const loaded = configFile ? await readConfigFile(configFile) : await loadConfig();
  return loaded.config.community?.session_creation ?? SessionCreationSchema.parse({});
}

export function planFor(o: LaunchWorkerOptions, creation: SessionCreationConfig): CreatePlan {
  const args: CreateArgs = {
    session_name: o.name ?? `worker-${randomBytes(4).toString('hex')}`,
    launch_method: o.launchMethod,
    programming_language: o.programmingLanguage,
    auth_type: o.authType,
    auth_token: o.authToken,
    heap_size_gb: o.heapSizeGb,
    extra_jvm_args: o.extraJvmArgs,
    environment_vars: o.environment,
    docker_image: o.dockerImage,
    docker_memory_limit_gb: o.dockerMemoryLimitGb,
    docker_cpu_limit: o.dockerCpuLimit,
    docker_volumes: o.dockerVolumes,
    pull_policy: o.pullPolicy,
    python_venv_path: o.pythonVenvPath,
  };
  const plan = resolveCreateRequest(args, creation);
  if (o.startupTimeoutSeconds !== undefined) {
    if (!(o.startupTimeoutSeconds > 0))
      throw new UserError(`startupTimeoutSeconds must be greater than 0, got ${o.startupTimeoutSeconds}`);
    plan.startup.timeoutMs = o.startupTimeoutSeconds * 1000;
  }
  return plan;
}

let processTracker: InstanceTracker | undefined;
let processDrivers: DriverSet | undefined;
/**
 * One instance record for every worker this process launches, so a killed test runner's workers get swept,
 * and one driver set (with its Docker client) for them.
 */
export function libraryRuntime(): { tracker: InstanceTracker; drivers: DriverSet } {
  processTracker ??= new InstanceTracker();
  processDrivers ??= new DriverSet();
  return { tracker: processTracker, drivers: processDrivers };
}

/** The library's (and the CLI's) view of a worker handle. */
export function describeWorker(h: WorkerHandle, plan: CreatePlan): LaunchedDeephavenWorker {
  return {
    name: h.name,
    method: plan.method,
    kind: h.kind,
    host: h.endpoint.host,
    port: h.endpoint.port,
    url: h.endpoint.url,
    browserUrl: h.browserUrl,
    version: h.version,
    token: h.auth.token,
    authType: h.auth.type,
    programmingLanguage: h.console,
    pid: h.identity.process_id,
    containerId: h.identity.container_id,
    stop: async () => {
      await h.stop();
    },
  };
}

/**
 * Starts a Deephaven worker (Docker or Python venv) on 127.0.0.1, waits until it accepts a login, and returns
 * its connection details. The worker stops with `stop()`, and also when this process dies. Usable from a
 * vitest globalSetup:
 *
 *     const w = await launchWorker({ launchMethod: 'python', heapSizeGb: 1 });
 *     process.env.DH_URL = w.url; process.env.DH_PSK = w.token;
 *     return () => w.stop();
 */
export async function launchWorker(options: LaunchWorkerOptions = {}): Promise<LaunchedDeephavenWorker> {
  const plan = planFor(options, await creationDefaults(options.configFile));
  const { tracker, drivers } = libraryRuntime();
  const { handle, connection } = await startWorker(plan, {
    drivers,
    tracking: tracker,
    labels: tracker.ownerLabels(plan.name),
    exitWithOwner: true,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  // The login connection proved readiness; the caller brings its own client.
  await connection.close();
  return describeWorker(handle, plan);
}
