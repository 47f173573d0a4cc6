import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/discover.js';
import { readConfigFile } from '../config/load.js';
import { SessionCreationSchema, type SessionCreationConfig } from '../config/schema.js';
import { resolveCreateRequest, type CreateArgs, type CreatePlan } from '../creation/create-request.js';
import type { DynamicSession } from '../creation/dynamic-session.js';
import { startWorker, trackingFor, type WorkerTracking } from '../creation/worker-starter.js';
import { InstanceTracker } from '../tracking/instance-tracker.js';
import { UserError } from '../util/errors.js';

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
  pythonVenvPath?: string;
  startupTimeoutSeconds?: number;
  /** Take defaults from this deephaven_mcp.json (community.session_creation.defaults); default: discovery. */
  configFile?: string;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

/** A running worker and how to reach it. */
export interface LaunchedDeephavenWorker {
  name: string;
  method: 'docker' | 'python';
  host: string;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
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
/** One instance record for every worker this process launches, so a killed test runner's workers get swept. */
function tracker(): InstanceTracker {
  processTracker ??= new InstanceTracker();
  return processTracker;
}

export function describeWorker(
  s: DynamicSession,
  plan: CreatePlan,
  stop: () => Promise<void>,
): LaunchedDeephavenWorker {
  return {
    name: s.name,
    method: plan.method,
    host: '127.0.0.1',
    port: s.worker.port,
    url: `http://127.0.0.1:${s.worker.port}`,
    token: plan.token,
    authType: plan.auth,
    programmingLanguage: s.configuredLanguage,
    pid: s.worker.pid,
    containerId: s.worker.containerId,
    stop,
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
  const t = tracker();
  const tracking: WorkerTracking = trackingFor(t);
  const session = await startWorker(plan, {
    tracking,
    labels: t.containerLabels(plan.name),
    exitWithOwner: true,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  // The login connection proved readiness; the caller brings its own client.
  await (await session.cachedConnection())?.close();
  return describeWorker(session, plan, () => session.close());
}
