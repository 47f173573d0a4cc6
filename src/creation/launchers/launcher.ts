/**
 * One interface for every way of starting a worker. The orchestrator picks a launcher by launch method and
 * never branches on it otherwise.
 */
export type WorkerLanguage = 'python' | 'groovy';

export interface LaunchSpec {
  /** The session name; it names the container and the log lines. */
  name: string;
  auth: 'PSK' | 'ANONYMOUS';
  /** The PSK, handed to the worker on its stdin; never in arguments, environment listings or logs. */
  token?: string;
  /** Undefined lets the image decide (a custom image); the worker reports its console when ready. */
  language?: WorkerLanguage;
  heapSizeGb: number;
  extraJvmArgs: string[];
  environment: Record<string, string>;
  /** Labels identifying who owns the worker (server instance, session name, creation time). */
  labels: Record<string, string>;
  /** Stop when our end of the worker's stdin closes (the owner died). False for workers meant to outlive us. */
  exitWithOwner: boolean;
}

export interface DockerSpec extends LaunchSpec {
  image: string;
  memoryLimitGb?: number;
  cpuLimit?: number;
  volumes: string[];
}

export interface PythonSpec extends LaunchSpec {
  venvPath: string;
  /** The host port to bind (127.0.0.1 only). */
  port: number;
  /** Write the worker's output to this file instead of our pipes (for workers that outlive this process). */
  logFile?: string;
}

export interface ReadyInfo {
  port: number;
  version?: string;
  console?: string;
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface LaunchedWorker {
  readonly method: 'docker' | 'python';
  /** Host port on 127.0.0.1 (known once launched). */
  readonly port: number;
  readonly pid?: number;
  readonly containerId?: string;
  /** The private directory of a python worker (removed on stop; recorded so an orphan sweep removes it too). */
  readonly home?: string;
  /** Resolves on the worker's own ready line; rejects at once if it exits, errors, times out or is aborted. */
  waitUntilReady(opts: WaitOptions): Promise<ReadyInfo>;
  /** Stops the worker and frees everything it held. Idempotent; never throws. */
  stop(): Promise<void>;
  /** Whether the process or container is still running. */
  isAlive(): Promise<boolean>;
  /** The last lines the worker printed, for error messages. */
  logTail(): string[];
}

/** `-Xmx`: whole gigabytes as `g`, fractions as whole megabytes (the JVM refuses `-Xmx2.5g`). */
export function heapArg(gb: number): string {
  return Number.isInteger(gb) ? `-Xmx${gb}g` : `-Xmx${Math.floor(gb * 1024)}m`;
}

/** The environment of the worker entry script (launchers/dh_worker.py), shared by both launchers. */
export function workerEnvironment(spec: LaunchSpec): Record<string, string> {
  return {
    ...spec.environment,
    DH_WORKER_AUTH: spec.auth === 'PSK' ? 'psk' : 'anonymous',
    ...(spec.language ? { DH_WORKER_CONSOLE: spec.language } : {}),
    // A short shutdown grace: Deephaven otherwise waits up to its default for open client streams (a browser's
    // subscriptions never end by themselves), which made every stop take about five seconds. Later -D wins,
    // so extra_jvm_args can still override it.
    DH_WORKER_JVM_ARGS: JSON.stringify([
      heapArg(spec.heapSizeGb),
      '-Dshutdown.timeoutMs=1000',
      ...spec.extraJvmArgs,
    ]),
    ...(spec.auth === 'PSK' && spec.token ? { DH_WORKER_SECRETS: 'stdin' } : {}),
    ...(spec.exitWithOwner ? { DH_WORKER_EXIT_ON_STDIN_EOF: '1' } : {}),
    PYTHONUNBUFFERED: '1',
  };
}

export class LaunchError extends Error {
  override name = 'LaunchError';
  constructor(
    message: string,
    readonly logTail: string[] = [],
    /** The worker could not bind its port (someone took it after we picked it): a retry may succeed. */
    readonly portTaken = false,
  ) {
    super(
      logTail.length
        ? `${message}\nLast worker output:\n${logTail.map((l) => `  ${l}`).join('\n')}`
        : message,
    );
  }
}
