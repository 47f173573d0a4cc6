import path from 'node:path';
import type { SessionCreationConfig } from '../../config/schema.js';
import { formatPath } from '../../config/errors.js';
import { resolveToken } from '../../config/tokens.js';
import { generateToken } from '../../creation/tokens.js';
import type { WorkerLanguage } from '../drivers/driver.js';
import { InvalidRequestError } from '../../util/errors.js';
import { defaultPythonVenv } from '../../setup/python-runtime.js';
import { defaultImage } from '../../util/paths.js';
import type { LifecycleLimits } from '../lifecycle/deadlines.js';
import { gb, thisMachine, type MachineLimits } from './bounds.js';
import { createdWorkerAuth, crossFieldProblems, type Problem } from './cross-field.js';
import {
  PARAMS,
  TokenSchema,
  type CreateArgs,
  type LaunchMethod,
  type ParamName,
  type ProgrammingLanguage,
  type PullPolicy,
} from './model.js';
import { policyProblems, type CommunityPolicy } from './policy.js';

export type TokenSource = 'generated' | 'argument' | 'config' | 'environment' | 'none';

/** A create request with every value decided and checked: what the worker service launches. */
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
  /**
   * When the MCP server stops the created worker on its own (undefined: never); the CLI and the library do not
   * read it (src/workers/lifecycle).
   */
  lifecycle: LifecycleLimits;
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

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * The host policy for the tool call's own values (the MCP path). Absent for the library and the CLI, whose
   * values come from the person running them, like the config file's.
   */
  policy?: CommunityPolicy;
  /** What this machine can give a worker (default: os.totalmem() and os.availableParallelism()). */
  machine?: MachineLimits;
  /** How a value taken from the defaults is named in messages (default: community.session_creation.defaults.<p>). */
  defaultName?: (p: ParamName) => string;
}

/** Where the creation defaults live in deephaven_mcp.json (error messages name fields by it). */
export const DEFAULTS_PATH = 'community.session_creation.defaults';

/** Given = neither null nor undefined nor an empty string (reference clients send "" for "not set"). */
function given(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

function fail(problems: Problem[]): never {
  const lines = problems.map((p) => `${p.field}: ${p.message}`);
  throw new InvalidRequestError(
    lines.length === 1
      ? lines[0]!
      : `the request has ${lines.length} problems:\n${lines.map((l) => `  - ${l}`).join('\n')}`,
  );
}

/**
 * Checks each argument the tool call gave against its bounds; returns the checked values and which were given.
 * Every problem is collected, so one answer names them all.
 */
function checkArguments(args: CreateArgs): {
  values: Partial<Record<ParamName, unknown>>;
  explicit: Set<ParamName>;
} {
  const values: Partial<Record<ParamName, unknown>> = {};
  const explicit = new Set<ParamName>();
  const problems: Problem[] = [];
  const raw = args as Record<string, unknown>;
  for (const [name, spec] of Object.entries(PARAMS) as Array<[ParamName, (typeof PARAMS)[ParamName]]>) {
    if (!spec.tool) continue;
    if (!given(raw[name])) {
      if (name === 'session_name') problems.push({ field: name, message: 'is required' });
      continue;
    }
    const r = spec.schema.safeParse(raw[name]);
    if (r.success) {
      values[name] = r.data;
      explicit.add(name);
    } else {
      for (const iss of r.error.issues) {
        // A record key's issue wraps the key's own issue: its message is the one that says what is wrong.
        const inner = iss.code === 'invalid_key' ? iss.issues[0]?.message : undefined;
        problems.push({ field: formatPath([name, ...iss.path]), message: inner ?? iss.message });
      }
    }
  }
  if (problems.length) fail(problems);
  return { values, explicit };
}

/**
 * Resolves a create request: tool argument, else `session_creation.defaults`, else the reference's hard
 * default. Everything is validated here (bounds, cross-field rules, what this machine can satisfy, and, for a
 * tool call, the host policy) before a name or a slot is reserved and long before anything runs.
 */
export function resolveCreateRequest(
  args: CreateArgs,
  creation: SessionCreationConfig,
  opts: ResolveOptions = {},
): CreatePlan {
  const env = opts.env ?? process.env;
  const d = creation.defaults;
  const { values: t, explicit } = checkArguments(args);
  const name = t.session_name as string;
  const defaultName = opts.defaultName ?? ((p: ParamName) => `${DEFAULTS_PATH}.${p}`);
  const nameOf = (p: ParamName): string => (explicit.has(p) ? p : defaultName(p));
  const pick = <T>(p: ParamName, fallback: T): T =>
    (explicit.has(p) ? t[p] : ((d as Record<string, unknown>)[p] ?? fallback)) as T;

  const method = pick<LaunchMethod>('launch_method', HARD_DEFAULTS.launch_method);
  const rawAuth = pick<string>('auth_type', HARD_DEFAULTS.auth_type);
  const heap = pick<number>('heap_size_gb', HARD_DEFAULTS.heap_size_gb);
  const mem = pick<number | undefined>('docker_memory_limit_gb', undefined);
  const cpu = pick<number | undefined>('docker_cpu_limit', undefined);

  const problems = crossFieldProblems({
    values: { ...t, auth_type: rawAuth, heap_size_gb: heap, docker_memory_limit_gb: mem },
    explicit,
    method,
    fieldName: nameOf,
  });
  const machine = opts.machine ?? thisMachine();
  if (heap > machine.memoryGb)
    problems.push({
      field: nameOf('heap_size_gb'),
      message: `${gb(heap)} is more than this machine's memory (${gb(machine.memoryGb)}); choose at most that, leaving room for other processes`,
    });
  if (method === 'docker' && mem !== undefined && mem > machine.memoryGb)
    problems.push({
      field: nameOf('docker_memory_limit_gb'),
      message: `${gb(mem)} is more than this machine's memory (${gb(machine.memoryGb)}); choose at most that`,
    });
  if (method === 'docker' && cpu !== undefined && cpu > machine.cpus)
    problems.push({
      field: nameOf('docker_cpu_limit'),
      message: `${cpu} is more than this machine's ${machine.cpus} CPUs; choose at most ${machine.cpus}`,
    });
  if (problems.length) fail(problems);

  const auth = createdWorkerAuth(rawAuth, nameOf('auth_type'));
  if (typeof auth !== 'string') fail([auth]); // checked above; keeps the type narrow

  let language: WorkerLanguage | undefined;
  let image: string;
  const configImage = d.docker_image;
  if (explicit.has('programming_language')) {
    const l = t.programming_language as ProgrammingLanguage;
    language = l.toLowerCase() as WorkerLanguage;
    image = defaultImage(l, env);
  } else if (explicit.has('docker_image')) {
    image = t.docker_image as string;
  } else if (configImage !== undefined && method === 'docker') {
    image = configImage;
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
    if (explicit.has('auth_token')) {
      token = t.auth_token as string;
      tokenSource = 'argument';
    } else {
      const fromConfig = resolveToken(d, DEFAULTS_PATH, env);
      if (fromConfig) {
        tokenSource = d.auth_token_env_var ? 'environment' : 'config';
        const checked = TokenSchema.safeParse(fromConfig);
        if (!checked.success)
          fail([
            {
              field: d.auth_token_env_var
                ? `the environment variable '${d.auth_token_env_var}' (${DEFAULTS_PATH}.auth_token_env_var)`
                : `${DEFAULTS_PATH}.auth_token`,
              message: checked.error.issues[0]!.message,
            },
          ]);
        token = fromConfig;
      } else {
        token = generateToken();
        tokenSource = 'generated';
      }
    }
  }

  const defaultVenvPath = d.python_venv_path ?? defaultVenv(env);
  const venvPath = explicit.has('python_venv_path')
    ? path.resolve(t.python_venv_path as string)
    : defaultVenvPath;
  const toolEnv = explicit.has('environment_vars')
    ? (t.environment_vars as Record<string, string>)
    : undefined;
  const toolJvm = explicit.has('extra_jvm_args') ? (t.extra_jvm_args as string[]) : undefined;
  const toolVolumes = explicit.has('docker_volumes') ? (t.docker_volumes as string[]) : undefined;

  if (opts.policy) {
    const refused = policyProblems(
      {
        environment: toolEnv,
        extraJvmArgs: toolJvm,
        volumes: toolVolumes,
        image: explicit.has('docker_image') ? image : undefined,
        venvPath: explicit.has('python_venv_path') ? venvPath : undefined,
      },
      opts.policy,
      {
        images: [configImage, defaultImage('Python', env), defaultImage('Groovy', env)],
        venvPath: defaultVenvPath,
      },
      env,
    );
    if (refused.length) fail(refused);
  }

  return {
    name,
    method,
    language,
    auth,
    token,
    tokenSource,
    heapSizeGb: heap,
    extraJvmArgs: toolJvm ?? d.extra_jvm_args ?? [],
    environment: { ...(d.environment_vars ?? {}), ...(toolEnv ?? {}) },
    docker: {
      image,
      memoryLimitGb: mem,
      cpuLimit: cpu,
      volumes: toolVolumes ?? d.docker_volumes ?? [],
      pullPolicy: pick<PullPolicy>('pull_policy', HARD_DEFAULTS.pull_policy),
      pullTimeoutMs: (d.pull_timeout_seconds ?? HARD_DEFAULTS.pull_timeout_seconds) * 1000,
    },
    python: { venvPath },
    startup: {
      timeoutMs: (d.startup_timeout_seconds ?? HARD_DEFAULTS.startup_timeout_seconds) * 1000,
      intervalMs: (d.startup_check_interval_seconds ?? HARD_DEFAULTS.startup_check_interval_seconds) * 1000,
      retries: d.startup_retries ?? HARD_DEFAULTS.startup_retries,
    },
    lifecycle: {
      idleTimeoutMs: limitMs(pick<number | null | undefined>('idle_timeout_seconds', undefined)),
      maxLifetimeMs: limitMs(pick<number | null | undefined>('max_lifetime_seconds', undefined)),
    },
  };
}

/** A lifecycle limit in ms; 0, null and unset all mean no limit. */
function limitMs(seconds: number | null | undefined): number | undefined {
  return seconds ? seconds * 1000 : undefined;
}

/** See defaultPythonVenv: DH_MCP_VENV, the `dh-mcp setup` runtime, the repository's venv, VIRTUAL_ENV. */
function defaultVenv(env: NodeJS.ProcessEnv): string {
  return defaultPythonVenv(env).venv;
}
