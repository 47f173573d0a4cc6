import path from 'node:path';
import { z } from 'zod';
import { normaliseAuthType } from '../config/auth-type.js';
import {
  LAUNCH_METHODS,
  PROGRAMMING_LANGUAGES,
  PULL_POLICIES,
  type PullPolicy,
  SESSION_NAME_RE,
  normaliseLanguage,
  type LaunchMethod,
  type ProgrammingLanguage,
  type SessionCreationConfig,
} from '../config/schema.js';
import { resolveToken } from '../config/tokens.js';
import { UserError } from '../util/errors.js';
import { defaultPythonVenv } from '../setup/python-runtime.js';
import { defaultImage } from '../util/paths.js';
import type { WorkerLanguage } from '../workers/drivers/driver.js';
import { generateToken } from './tokens.js';

/**
 * The parameters of session_community_create, as the reference names them. Every optional parameter also
 * accepts null (reference clients send it for "not given"); meaning is checked in `resolveCreateRequest`, so
 * every error names the parameter and says how to fix it.
 */
export const CreateInput = {
  session_name: z
    .string()
    .describe('Name of the new worker; the session id becomes community:dynamic:<session_name>'),
  launch_method: z.string().nullish().describe('"docker" or "python" (default from config, else "docker")'),
  programming_language: z
    .string()
    .nullish()
    .describe('"Python" or "Groovy": the console language (default from config, else Python)'),
  auth_type: z.string().nullish().describe('"PSK" (default) or "Anonymous"'),
  auth_token: z
    .string()
    .nullish()
    .describe('PSK to use; by default one is generated (128 bits) or taken from config'),
  heap_size_gb: z
    .number()
    .nullish()
    .describe('JVM heap in GB; fractions allowed (2.5 → -Xmx2560m); default 4'),
  extra_jvm_args: z.array(z.string()).nullish().describe('Extra JVM arguments, one per element'),
  environment_vars: z.record(z.string(), z.string()).nullish().describe('Extra environment variables'),
  docker_image: z
    .string()
    .nullish()
    .describe('docker only: image to run instead of the language default (built from images/)'),
  docker_memory_limit_gb: z.number().nullish().describe('docker only: container memory limit in GB'),
  docker_cpu_limit: z.number().nullish().describe('docker only: CPU limit (e.g. 1.5)'),
  docker_volumes: z.array(z.string()).nullish().describe('docker only: volumes as "host:container[:ro|rw]"'),
  pull_policy: z
    .string()
    .nullish()
    .describe('docker only: "missing" (default: pull the image when absent), "always" or "never"'),
  python_venv_path: z
    .string()
    .nullish()
    .describe(
      'python only: venv holding deephaven-server (default: the runtime of "dh-mcp setup python", see docs/setup.md)',
    ),
};
export type CreateArgs = z.infer<z.ZodObject<typeof CreateInput>>;

export type TokenSource = 'generated' | 'argument' | 'config' | 'environment' | 'none';

export interface CreatePlan {
  name: string;
  method: LaunchMethod;
  /** Undefined for a custom image that did not say: the image decides and the worker reports it. */
  language?: WorkerLanguage;
  auth: 'PSK' | 'ANONYMOUS';
  token?: string;
  tokenSource: TokenSource;
  heapSizeGb: number;
  extraJvmArgs: string[];
  environment: Record<string, string>;
  docker: {
    image: string;
    memoryLimitGb?: number;
    cpuLimit?: number;
    volumes: string[];
    pullPolicy: PullPolicy;
    /** The pull has its own timeout: it does not eat the start-up timeout. */
    pullTimeoutMs: number;
  };
  python: { venvPath: string };
  startup: { timeoutMs: number; intervalMs: number; retries: number };
}

export const HARD_DEFAULTS = {
  launch_method: 'docker' as LaunchMethod,
  auth_type: 'PSK',
  programming_language: 'Python' as ProgrammingLanguage,
  heap_size_gb: 4,
  startup_timeout_seconds: 60,
  startup_check_interval_seconds: 2,
  startup_retries: 3,
  pull_policy: 'missing' as PullPolicy,
  pull_timeout_seconds: 600,
};

const DOCKER_ONLY = [
  'programming_language',
  'docker_image',
  'docker_memory_limit_gb',
  'docker_cpu_limit',
  'docker_volumes',
  'pull_policy',
] as const;

/** Given = neither null nor undefined nor an empty string (reference clients send "" for "not set"). */
function given<T>(v: T | null | undefined): v is T {
  return v !== undefined && v !== null && v !== '';
}

function positiveNumber(v: number, field: string): number {
  if (!Number.isFinite(v) || v <= 0)
    throw new UserError(`${field} must be a number greater than 0, got ${v}`);
  return v;
}

/**
 * Resolves a create request: tool argument, else `session_creation.defaults`, else the reference's hard
 * default. Everything is validated here, before a name or a slot is reserved and long before anything runs.
 */
export function resolveCreateRequest(
  args: CreateArgs,
  creation: SessionCreationConfig,
  env: NodeJS.ProcessEnv = process.env,
): CreatePlan {
  const d = creation.defaults;
  const name = args.session_name;
  if (!SESSION_NAME_RE.test(name)) {
    throw new UserError(
      `session_name '${name}' is not valid: use letters, digits, "_", "." and "-", start with a letter or digit, 63 characters at most`,
    );
  }

  let method: LaunchMethod;
  if (given(args.launch_method)) {
    const m = args.launch_method.trim().toLowerCase();
    if (!(LAUNCH_METHODS as readonly string[]).includes(m))
      throw new UserError(`launch_method must be "docker" or "python", got '${args.launch_method}'`);
    method = m as LaunchMethod;
  } else method = d.launch_method ?? HARD_DEFAULTS.launch_method;

  if (method !== 'docker') {
    for (const p of DOCKER_ONLY.filter((p) => p !== 'programming_language')) {
      if (given(args[p]))
        throw new UserError(`'${p}' applies only to launch_method "docker", not "${method}"; remove it`);
    }
  } else if (given(args.python_venv_path)) {
    throw new UserError(`'python_venv_path' applies only to launch_method "python", not "docker"; remove it`);
  }
  if (given(args.programming_language) && given(args.docker_image))
    throw new UserError(
      "give either 'programming_language' or 'docker_image', not both: the image decides the language",
    );

  let auth: 'PSK' | 'ANONYMOUS';
  const rawAuth = given(args.auth_type) ? args.auth_type : (d.auth_type ?? HARD_DEFAULTS.auth_type);
  const authField = given(args.auth_type) ? 'auth_type' : 'community.session_creation.defaults.auth_type';
  let normalised;
  try {
    normalised = normaliseAuthType(rawAuth, authField);
  } catch (e) {
    throw new UserError(`Invalid auth_type: ${(e as Error).message}`);
  }
  if (normalised === 'PSK' || normalised === 'ANONYMOUS') auth = normalised;
  else if (normalised === 'BASIC')
    throw new UserError(
      'Invalid auth_type: Basic authentication needs a user database that a fresh worker does not have; use "PSK" or "Anonymous"',
    );
  else
    throw new UserError(
      `Invalid auth_type: '${normalised.custom}' is not supported for created workers (they can start only the PSK or the anonymous handler); use "PSK" or "Anonymous"`,
    );

  let language: WorkerLanguage | undefined;
  let image: string;
  const langOf = (raw: string, field: string): ProgrammingLanguage => {
    const l = normaliseLanguage(raw);
    if (!(PROGRAMMING_LANGUAGES as readonly string[]).includes(l))
      throw new UserError(`${field} must be "Python" or "Groovy", got '${raw}'`);
    return l as ProgrammingLanguage;
  };
  if (given(args.programming_language)) {
    const l = langOf(args.programming_language, 'programming_language');
    language = l.toLowerCase() as WorkerLanguage;
    image = defaultImage(l, env);
  } else if (given(args.docker_image)) {
    image = args.docker_image;
  } else if (d.docker_image !== undefined && method === 'docker') {
    image = d.docker_image;
  } else {
    const l = d.programming_language ?? HARD_DEFAULTS.programming_language;
    language = l.toLowerCase() as WorkerLanguage;
    image = defaultImage(l, env);
  }
  // A python launch has no image to ask, so the language is always known.
  if (method === 'python') language ??= (d.programming_language ?? 'Python').toLowerCase() as WorkerLanguage;

  let token: string | undefined;
  let tokenSource: TokenSource = 'none';
  if (auth === 'PSK') {
    if (given(args.auth_token)) {
      token = args.auth_token;
      tokenSource = 'argument';
    } else {
      const fromConfig = resolveToken(d, 'community.session_creation.defaults', env);
      if (fromConfig) {
        token = fromConfig;
        tokenSource = d.auth_token_env_var ? 'environment' : 'config';
      } else {
        token = generateToken();
        tokenSource = 'generated';
      }
    }
    if (/\s/.test(token))
      throw new UserError('auth_token must not contain whitespace; the worker reads it as one line');
  } else if (given(args.auth_token)) {
    throw new UserError('auth_token is only used with auth_type "PSK"; remove it or set auth_type to "PSK"');
  }

  const heap = given(args.heap_size_gb)
    ? positiveNumber(args.heap_size_gb, 'heap_size_gb')
    : (d.heap_size_gb ?? HARD_DEFAULTS.heap_size_gb);
  const mem = given(args.docker_memory_limit_gb)
    ? positiveNumber(args.docker_memory_limit_gb, 'docker_memory_limit_gb')
    : (d.docker_memory_limit_gb ?? undefined);
  const cpu = given(args.docker_cpu_limit)
    ? positiveNumber(args.docker_cpu_limit, 'docker_cpu_limit')
    : (d.docker_cpu_limit ?? undefined);
  let pullPolicy: PullPolicy = d.pull_policy ?? HARD_DEFAULTS.pull_policy;
  if (given(args.pull_policy)) {
    const p = args.pull_policy.trim().toLowerCase();
    if (!(PULL_POLICIES as readonly string[]).includes(p))
      throw new UserError(`pull_policy must be "missing", "always" or "never", got '${args.pull_policy}'`);
    pullPolicy = p as PullPolicy;
  }
  const volumes = args.docker_volumes ?? d.docker_volumes ?? [];
  volumes.forEach(checkVolume);
  const extraJvmArgs = args.extra_jvm_args ?? d.extra_jvm_args ?? [];
  extraJvmArgs.forEach((a, i) => {
    if (!a.startsWith('-'))
      throw new UserError(`extra_jvm_args[${i}] '${a}' is not a JVM option; options start with "-"`);
  });
  const environment = { ...(d.environment_vars ?? {}), ...(args.environment_vars ?? {}) };
  for (const k of Object.keys(environment)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw new UserError(`environment_vars key '${k}' is not a valid variable name`);
    if (k.startsWith('DH_WORKER_'))
      throw new UserError(`environment_vars key '${k}' is reserved for dh-mcp's worker protocol; rename it`);
  }

  const venvPath = given(args.python_venv_path)
    ? path.resolve(args.python_venv_path)
    : (d.python_venv_path ?? defaultVenv(env));

  return {
    name,
    method,
    language,
    auth,
    token,
    tokenSource,
    heapSizeGb: heap,
    extraJvmArgs,
    environment,
    docker: {
      image,
      memoryLimitGb: mem,
      cpuLimit: cpu,
      volumes,
      pullPolicy,
      pullTimeoutMs: (d.pull_timeout_seconds ?? HARD_DEFAULTS.pull_timeout_seconds) * 1000,
    },
    python: { venvPath },
    startup: {
      timeoutMs: (d.startup_timeout_seconds ?? HARD_DEFAULTS.startup_timeout_seconds) * 1000,
      intervalMs: (d.startup_check_interval_seconds ?? HARD_DEFAULTS.startup_check_interval_seconds) * 1000,
      retries: d.startup_retries ?? HARD_DEFAULTS.startup_retries,
    },
  };
}

/** See defaultPythonVenv: DH_MCP_VENV, the `dh-mcp setup` runtime, the repository's venv, VIRTUAL_ENV. */
function defaultVenv(env: NodeJS.ProcessEnv): string {
  return defaultPythonVenv(env).venv;
}

function checkVolume(v: string, i: number): void {
  const parts = v.split(':');
  const ok =
    (parts.length === 2 || parts.length === 3) &&
    parts[0] !== '' &&
    parts[1]!.startsWith('/') &&
    (parts.length === 2 || ['ro', 'rw', 'z', 'Z'].includes(parts[2]!));
  if (!ok)
    throw new UserError(
      `docker_volumes[${i}] '${v}' is not "host:container[:ro|rw]" with an absolute container path`,
    );
}
