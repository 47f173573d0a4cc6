import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/discover.js';
import { readConfigFile } from '../config/load.js';
import { SessionCreationSchema, type SessionCreationConfig } from '../config/schema.js';
import { resolveCreateRequest, type CreatePlan } from '../workers/params/resolve.js';
import { InstanceTracker } from '../tracking/instance-tracker.js';
import { DriverSet } from '../workers/drivers/index.js';
import type { ParamOptions } from '../workers/params/model.js';
import { applyOptions } from '../workers/params/options.js';
import { progressMessage } from '../workers/progress.js';
import { startWorker } from '../workers/start-worker.js';
import type { WorkerHandle } from '../workers/worker-handle.js';

/**
 * Options of `launchWorker` (and of `dh-mcp worker run|start`): session_community_create's parameters in
 * camelCase, plus the start-up tuning and `authTokenEnvVar`, all derived from the parameter model
 * (src/workers/params/model.ts): `name`, `launchMethod`, `programmingLanguage`, `authType`, `authToken`,
 * `authTokenEnvVar`, `heapSizeGb`, `extraJvmArgs`, `environment`, `dockerImage`, `dockerMemoryLimitGb`,
 * `dockerCpuLimit`, `dockerVolumes`, `pythonVenvPath`, `startupTimeoutSeconds`, `startupCheckIntervalSeconds`,
 * `startupRetries`. The same bounds apply as to the tool (errors name the parameter by its tool name).
 */
export interface LaunchWorkerOptions extends ParamOptions {
  /** Take defaults from this deephaven_mcp.json (community.session_creation.defaults); default: discovery. */
  configFile?: string;
  /** Progress lines while the worker starts, each naming its phase (`pull: …`, `start: …`, `ready: …`, `login: …`). */
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
  const applied = applyOptions(o.name ?? `worker-${randomBytes(4).toString('hex')}`, o, creation);
  return resolveCreateRequest(applied.args, applied.creation);
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
  // Each call has an instance record of its own (a killed test runner's workers are swept by the next start; two
  // launches never share a record) and drivers with their own Docker client: nothing shared at module level.
  const tracker = new InstanceTracker();
  const drivers = new DriverSet();
  const { onProgress } = options;
  const { handle, connection } = await startWorker(plan, {
    drivers,
    tracking: tracker,
    labels: tracker.ownerLabels(plan.name),
    exitWithOwner: true,
    signal: options.signal,
    onProgress: onProgress && ((e) => onProgress(progressMessage(e))),
  });
  // The login connection proved readiness; the caller brings its own client.
  await connection.close();
  return describeWorker(handle, plan);
}
