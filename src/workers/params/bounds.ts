import os from 'node:os';

/**
 * The bounds of every creation parameter, in one place. Lengths keep one request from carrying megabytes into
 * a process environment or a JVM command line; numeric ranges are what a machine can satisfy. Each refusal
 * quotes the bound, so docs/configuration.md and the errors stay in step.
 */
export const BOUNDS = {
  /** Docker container names and session ids; the session-name grammar below enforces it. */
  sessionNameMax: 63,
  /** Enumerations (launch_method, programming_language, auth_type): long enough for a handler class name. */
  wordMax: 256,
  /** PSK tokens: printable ASCII without spaces (the worker reads one line; browsers carry it in a URL). */
  tokenMin: 8,
  tokenMax: 512,
  /** Host paths (venv, volume host parts), as Linux PATH_MAX. */
  pathMax: 4096,
  /** A Docker image reference (Docker's own limit on a name is 255). */
  imageMax: 255,
  /** One JVM argument, and how many. */
  jvmArgMax: 4096,
  jvmArgsMax: 64,
  /** Environment variables: name length, value length, how many. */
  envNameMax: 128,
  envValueMax: 32_768,
  envVarsMax: 64,
  /** Volumes: one "host:container[:mode]" spec, and how many. */
  volumeMax: 8192,
  volumesMax: 32,
  /** JVM heap: below 256 MB a Deephaven worker cannot start. */
  heapMinGb: 0.25,
  /** Docker CPU limit: Docker's own minimum. */
  cpuMin: 0.01,
  /** Start-up tuning (config only). */
  startupTimeoutMaxSeconds: 3600,
  startupIntervalMaxSeconds: 600,
  startupRetriesMax: 100,
  /** Idle timeout and maximum lifetime of created workers: 30 days at most (0 means no limit). */
  lifecycleMaxSeconds: 2_592_000,
} as const;

/** What this machine can give a worker: checked at request time, where the worker would run. */
export interface MachineLimits {
  /** Total memory in GB (os.totalmem()). */
  memoryGb: number;
  /** Logical CPUs (os.availableParallelism()). */
  cpus: number;
}

export function thisMachine(): MachineLimits {
  return { memoryGb: os.totalmem() / 1024 ** 3, cpus: os.availableParallelism() };
}

/** Rounded for messages: 23.4 GB, 0.25 GB. */
export function gb(n: number): string {
  return `${Math.round(n * 100) / 100} GB`;
}

/** Environment variable names: portable shell names. */
export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Tokens: printable ASCII, no whitespace. */
export const TOKEN_RE = /^[\x21-\x7e]+$/;
/** Docker image references: registry/name[:tag][@digest] characters only. */
export const IMAGE_RE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;
/** A Docker named volume (what Docker itself accepts as a volume name). */
export const VOLUME_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]+$/;
