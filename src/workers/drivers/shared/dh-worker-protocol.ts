import type { WorkerLanguage } from '../driver.js';

/**
 * The DH-WORKER protocol of launchers/dh_worker.py (venv workers and dh-mcp images): configuration through
 * DH_WORKER_* variables, the PSK on stdin, ready/error as `DH-WORKER {json}` lines.
 */
export interface DhWorkerSpec {
  auth: 'PSK' | 'ANONYMOUS';
  /** Sent on stdin when given, never in the environment. */
  token?: string;
  /** Undefined lets the image decide; the worker reports its console when ready. */
  language?: WorkerLanguage;
  heapSizeGb: number;
  extraJvmArgs: string[];
  environment: Record<string, string>;
  /** Stop when our end of the worker's stdin closes (the owner died). */
  exitWithOwner: boolean;
}

/**
 * The class-data sharing the worker's JVM ended up with: our archive (launchers/dh_cds.py), only the JDK's
 * default one (no archive for this install and JVM), or none (an archive was rejected, or -Xshare:off).
 */
export type ClassDataSharing = 'archive' | 'default' | 'off';

export interface ReadyInfo {
  port: number;
  version?: string;
  console?: string;
  classDataSharing?: ClassDataSharing;
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/** `-Xmx`: whole gigabytes as `g`, fractions as whole megabytes (the JVM refuses `-Xmx2.5g`). */
export function heapArg(gb: number): string {
  return Number.isInteger(gb) ? `-Xmx${gb}g` : `-Xmx${Math.floor(gb * 1024)}m`;
}

/**
 * JVM arguments every worker gets. A short shutdown grace: Deephaven otherwise waits up to its default for open
 * client streams (a browser's subscriptions never end by themselves), which made every stop take about five
 * seconds. Later -D wins, so extra_jvm_args can still override it.
 */
export function baseJvmArgs(heapSizeGb: number, extra: string[]): string[] {
  return [heapArg(heapSizeGb), '-Dshutdown.timeoutMs=1000', ...extra];
}

/** The environment of the worker entry script (launchers/dh_worker.py). */
export function workerEnvironment(spec: DhWorkerSpec): Record<string, string> {
  return {
    ...spec.environment,
    DH_WORKER_AUTH: spec.auth === 'PSK' ? 'psk' : 'anonymous',
    ...(spec.language ? { DH_WORKER_CONSOLE: spec.language } : {}),
    DH_WORKER_JVM_ARGS: JSON.stringify(baseJvmArgs(spec.heapSizeGb, spec.extraJvmArgs)),
    ...(spec.auth === 'PSK' && spec.token ? { DH_WORKER_SECRETS: 'stdin' } : {}),
    ...(spec.exitWithOwner ? { DH_WORKER_EXIT_ON_STDIN_EOF: '1' } : {}),
    // The operator's switch for class-data sharing archives (venv workers and dh-mcp images alike).
    ...(process.env.DH_MCP_CDS?.toLowerCase() === 'off' ? { DH_WORKER_CDS: 'off' } : {}),
    PYTHONUNBUFFERED: '1',
  };
}

/** The spec of a plan, as the protocol needs it. */
export function dhWorkerSpec(
  plan: {
    auth: 'PSK' | 'ANONYMOUS';
    token?: string;
    language?: WorkerLanguage;
    heapSizeGb: number;
    extraJvmArgs: string[];
    environment: Record<string, string>;
  },
  exitWithOwner: boolean,
): DhWorkerSpec {
  return {
    auth: plan.auth,
    token: plan.token,
    language: plan.language,
    heapSizeGb: plan.heapSizeGb,
    extraJvmArgs: plan.extraJvmArgs,
    environment: plan.environment,
    exitWithOwner,
  };
}
