import { z } from 'zod';
import { quote as quoteShort } from '../../util/quote.js';
import { BOUNDS, ENV_NAME_RE, IMAGE_RE, TOKEN_RE } from './bounds.js';
import { volumeFormProblem } from './volumes.js';

/**
 * The creation parameters, each described once: its checked type with bounds, which launch methods it applies
 * to, whether a tool call may set it and whether the config may default it, whether it reaches the host, and
 * its names in the library (camelCase option) and the CLI (flag). The session_community_create input schema,
 * the community.session_creation.defaults schema, the library's options type and the CLI's options are all
 * derived from this table.
 */

export const LAUNCH_METHODS = ['docker', 'python'] as const;
export type LaunchMethod = (typeof LAUNCH_METHODS)[number];
/** When a Docker image is pulled: when absent (default), before every start, or never. */
export const PULL_POLICIES = ['missing', 'always', 'never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];
export const PROGRAMMING_LANGUAGES = ['Python', 'Groovy'] as const;
export type ProgrammingLanguage = (typeof PROGRAMMING_LANGUAGES)[number];
export const normaliseLanguage = (v: string): string => {
  const l = v.trim().toLowerCase();
  return l.length ? l[0]!.toUpperCase() + l.slice(1) : l;
};

/** Names become parts of session ids and container names: keep them to a portable grammar. */
export const SESSION_NAME_RE = new RegExp(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,${BOUNDS.sessionNameMax - 1}}$`);
export const SESSION_NAME_RULE = `use letters, digits, "_", "." and "-", start with a letter or digit, ${BOUNDS.sessionNameMax} characters at most`;

/** The JSON type a parameter has on the wire (what the tool schema and the CLI parser accept before checks). */
export type WireKind = 'string' | 'number' | 'integer' | 'strings' | 'record';
export interface WireValue {
  string: string;
  number: number;
  integer: number;
  strings: string[];
  record: Record<string, string>;
}

/** Where a parameter acts: every launch, or only one launch method. */
export type Applies = 'any' | LaunchMethod;

export interface CliSpec {
  flag: string;
  short?: string;
  /** Placeholder in the usage text, e.g. `<gb>`. */
  value: string;
  /** Repeatable flag collecting a list (or KEY=value pairs for a record). */
  multiple?: boolean;
  /** Usage line; defaults to the description's first sentence. */
  help?: string;
}

export interface ParamSpec<K extends WireKind = WireKind, O extends string = string> {
  wire: K;
  /** The checked type: bounds, characters, form. Messages name no field (the caller prefixes its path). */
  schema: z.ZodType<unknown, WireValue[K]>;
  applies: Applies;
  /** session_community_create accepts it. */
  tool: boolean;
  /** community.session_creation.defaults accepts it; `nullable` when the reference allowed null there. */
  config: false | 'plain' | 'nullable';
  /** Reaches beyond the worker's own sandbox (host files, code loading, images, executables). */
  hostReaching: boolean;
  description: string;
  /**
   * The library (LaunchWorkerOptions) option name; absent for a parameter that means something only to the MCP
   * server (the lifecycle limits: only tool calls use a created worker, the library's caller owns its worker).
   */
  option?: O;
  cli?: CliSpec;
}

/** Keeps each entry's literal types (wire kind, flags, option name, schema type) for the derived types. */
function param<const P extends ParamSpec>(p: P): P {
  return p;
}

// ---- Checked types (bounded) --------------------------------------------------------------------------------

const noNul = (s: string): boolean => !s.includes('\u0000');

const boundedString = (max: number, what: string) =>
  z
    .string({ error: (iss) => `expected a string, got ${describe(iss.input)}` })
    .max(max, { error: (iss) => `${what} is ${lengthOf(iss.input)} characters long; the limit is ${max}` })
    .refine(noNul, { error: `${what} contains a NUL character; remove it` });

/** A number between min (inclusive, or exclusive when `above`) and max; infinities and NaN are refused. */
const boundedNumber = (opts: { min: number; above?: boolean; max: number; unit: string; hint?: string }) => {
  const low = {
    error: (iss: { input?: unknown }) =>
      `must be ${opts.above ? 'greater than' : 'at least'} ${opts.min}${opts.unit}, got ${String(iss.input)}${opts.hint ? `; ${opts.hint}` : ''}`,
  };
  const n = z.number({ error: (iss) => `expected a number, got ${describe(iss.input)}` });
  return (opts.above ? n.gt(opts.min, low) : n.min(opts.min, low)).max(opts.max, {
    error: (iss) => `must be at most ${opts.max}${opts.unit}, got ${String(iss.input)}`,
  });
};

const choice = <const T extends readonly [string, ...string[]]>(
  values: T,
  normalise: (v: string) => string,
) =>
  boundedString(BOUNDS.wordMax, 'the value').transform((v, ctx) => {
    const n = normalise(v);
    if (!(values as readonly string[]).includes(n)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be one of ${values.map((x) => `'${x}'`).join(', ')}, got ${quoteShort(v)}`,
      });
      return z.NEVER;
    }
    return n as T[number];
  });

export const TokenSchema = z
  .string({ error: (iss) => `expected a string, got ${describe(iss.input)}` })
  .min(BOUNDS.tokenMin, {
    error: (iss) =>
      `is ${lengthOf(iss.input)} characters long; a PSK needs at least ${BOUNDS.tokenMin} (omit it to get a generated 128-bit token)`,
  })
  .max(BOUNDS.tokenMax, {
    error: (iss) =>
      `is ${lengthOf(iss.input)} characters long; the limit is ${BOUNDS.tokenMax} (omit it to get a generated 128-bit token)`,
  })
  .regex(TOKEN_RE, {
    error: 'may contain only printable ASCII characters without spaces (the worker reads it as one line)',
  });

const envName = boundedString(BOUNDS.envNameMax, 'the name').regex(ENV_NAME_RE, {
  error: (iss) =>
    `${quoteShort(iss.input)} is not a valid variable name: use letters, digits and "_", not starting with a digit`,
});

const stringList = (item: z.ZodType<string, string>, max: number, what: string) =>
  z
    .array(item, {
      error: (iss) =>
        iss.code === 'invalid_type' ? `expected an array of strings, got ${describe(iss.input)}` : undefined,
    })
    .max(max, { error: (iss) => `has ${lengthOf(iss.input)} ${what}; the limit is ${max}` });

const EnvVarsSchema = z
  .record(
    envName.refine((k) => !k.startsWith('DH_WORKER_'), {
      error: (iss) => `${quoteShort(iss.input)} is reserved for dh-mcp's worker protocol; rename it`,
    }),
    boundedString(BOUNDS.envValueMax, 'the value'),
    {
      error: (iss) =>
        iss.code === 'invalid_type'
          ? `expected an object of string values, got ${describe(iss.input)}`
          : undefined,
    },
  )
  .refine((r) => Object.keys(r).length <= BOUNDS.envVarsMax, {
    error: (iss) =>
      `has ${Object.keys(iss.input as object).length} variables; the limit is ${BOUNDS.envVarsMax}`,
  });

const JvmArg = boundedString(BOUNDS.jvmArgMax, 'the argument').refine((a) => a.startsWith('-'), {
  error: (iss) => `${quoteShort(iss.input)} is not a JVM option; options start with "-"`,
});

const Volume = boundedString(BOUNDS.volumeMax, 'the volume').superRefine((v, ctx) => {
  const problem = volumeFormProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Seconds, whole; 0 means no limit. */
const limitSeconds = (what: string) =>
  z
    .number({ error: (iss) => `expected a whole number of seconds, got ${describe(iss.input)}` })
    .int({ error: (iss) => `must be a whole number of seconds, got ${String(iss.input)}` })
    .min(0, { error: (iss) => `must be 0 (no ${what}) or a number of seconds, got ${String(iss.input)}` })
    .max(BOUNDS.lifecycleMaxSeconds, {
      error: (iss) =>
        `must be at most ${BOUNDS.lifecycleMaxSeconds} s (30 days), got ${String(iss.input)}; use 0 for no ${what}`,
    });

// ---- The parameters -----------------------------------------------------------------------------------------

export const PARAMS = {
  session_name: param({
    wire: 'string',
    schema: z
      .string({ error: (iss) => `expected a string, got ${describe(iss.input)}` })
      .regex(SESSION_NAME_RE, {
        error: (iss) => `${quoteShort(iss.input)} is not valid: ${SESSION_NAME_RULE}`,
      }),
    applies: 'any',
    tool: true,
    config: false,
    hostReaching: false,
    description: 'Name of the new worker; the session id becomes community:dynamic:<session_name>',
    option: 'name',
    cli: { flag: 'name', value: '<name>', help: 'worker name (default worker-<random>)' },
  }),
  launch_method: param({
    wire: 'string',
    schema: choice(LAUNCH_METHODS, (v) => v.trim().toLowerCase()),
    applies: 'any',
    tool: true,
    config: 'plain',
    hostReaching: false,
    description: '"docker" or "python" (default from config, else "docker")',
    option: 'launchMethod',
    cli: { flag: 'launch-method', value: '<m>', help: 'docker | python' },
  }),
  programming_language: param({
    wire: 'string',
    schema: choice(PROGRAMMING_LANGUAGES, normaliseLanguage),
    applies: 'any',
    tool: true,
    config: 'plain',
    hostReaching: false,
    description: '"Python" or "Groovy": the console language (default from config, else Python)',
    option: 'programmingLanguage',
    cli: { flag: 'language', value: '<l>', help: 'Python | Groovy' },
  }),
  auth_type: param({
    wire: 'string',
    schema: boundedString(BOUNDS.wordMax, 'the value'),
    applies: 'any',
    tool: true,
    config: 'plain',
    hostReaching: false,
    description: '"PSK" (default) or "Anonymous"',
    option: 'authType',
    cli: { flag: 'auth', value: '<a>', help: 'PSK (default, generated token) | Anonymous' },
  }),
  auth_token: param({
    wire: 'string',
    schema: TokenSchema,
    applies: 'any',
    tool: true,
    config: 'nullable',
    hostReaching: false,
    description: `PSK to use (${BOUNDS.tokenMin}-${BOUNDS.tokenMax} printable characters, no spaces); by default one is generated (128 bits) or taken from config`,
    option: 'authToken',
  }),
  auth_token_env_var: param({
    wire: 'string',
    schema: envName,
    applies: 'any',
    tool: false,
    config: 'nullable',
    hostReaching: false,
    description: 'environment variable holding the PSK',
    option: 'authTokenEnvVar',
    cli: {
      flag: 'token-env',
      value: '<VAR>',
      help: 'use the PSK in environment variable VAR instead of generating one',
    },
  }),
  heap_size_gb: param({
    wire: 'number',
    schema: boundedNumber({
      min: BOUNDS.heapMinGb,
      max: 1024,
      unit: ' GB',
      hint: 'a Deephaven worker needs at least 256 MB',
    }),
    applies: 'any',
    tool: true,
    config: 'plain',
    hostReaching: false,
    description: `JVM heap in GB; fractions allowed (2.5 → -Xmx2560m); at least ${BOUNDS.heapMinGb}, at most this machine's memory; default 4`,
    option: 'heapSizeGb',
    cli: { flag: 'heap', value: '<gb>', help: 'JVM heap in GB (fractions allowed)' },
  }),
  extra_jvm_args: param({
    wire: 'strings',
    schema: stringList(JvmArg, BOUNDS.jvmArgsMax, 'arguments'),
    applies: 'any',
    tool: true,
    config: 'plain',
    hostReaching: true,
    description: `Extra JVM arguments, one per element (at most ${BOUNDS.jvmArgsMax}); arguments that run commands, load agents or write files are refused from tool calls unless security.community allows them`,
    option: 'extraJvmArgs',
    cli: { flag: 'jvm-arg', value: '<arg>', multiple: true, help: 'extra JVM argument (repeatable)' },
  }),
  environment_vars: param({
    wire: 'record',
    schema: EnvVarsSchema,
    applies: 'any',
    tool: true,
    config: 'plain',
    hostReaching: true,
    description: `Extra environment variables (at most ${BOUNDS.envVarsMax}; values up to ${BOUNDS.envValueMax} characters); variables that change how code is loaded (LD_PRELOAD, JAVA_TOOL_OPTIONS, PYTHONPATH, ...) are refused from tool calls unless security.community allows them`,
    option: 'environment',
    cli: {
      flag: 'env',
      value: '<K=V>',
      multiple: true,
      help: 'extra environment variable for the worker (repeatable)',
    },
  }),
  docker_image: param({
    wire: 'string',
    schema: boundedString(BOUNDS.imageMax, 'the image').regex(IMAGE_RE, {
      error: 'is not a Docker image reference (registry/name:tag, no spaces)',
    }),
    applies: 'docker',
    tool: true,
    config: 'plain',
    hostReaching: true,
    description:
      'docker only: image to run instead of the language default (the official Deephaven image); from a tool call only images under security.community.allowed_docker_images (default: ghcr.io/deephaven/ and dh-mcp/worker-)',
    option: 'dockerImage',
    cli: { flag: 'image', value: '<image>', help: 'docker image' },
  }),
  docker_memory_limit_gb: param({
    wire: 'number',
    schema: boundedNumber({ min: 0, above: true, max: 65536, unit: ' GB' }),
    applies: 'docker',
    tool: true,
    config: 'nullable',
    hostReaching: false,
    description:
      "docker only: container memory limit in GB; above heap_size_gb, at most this machine's memory",
    option: 'dockerMemoryLimitGb',
    cli: { flag: 'memory', value: '<gb>', help: 'docker memory limit' },
  }),
  docker_cpu_limit: param({
    wire: 'number',
    schema: boundedNumber({ min: BOUNDS.cpuMin, max: 4096, unit: '' }),
    applies: 'docker',
    tool: true,
    config: 'nullable',
    hostReaching: false,
    description: `docker only: CPU limit (e.g. 1.5), from ${BOUNDS.cpuMin} to this machine's CPU count`,
    option: 'dockerCpuLimit',
    cli: { flag: 'cpus', value: '<n>', help: 'docker CPU limit' },
  }),
  docker_volumes: param({
    wire: 'strings',
    schema: stringList(Volume, BOUNDS.volumesMax, 'volumes'),
    applies: 'docker',
    tool: true,
    config: 'plain',
    hostReaching: true,
    description:
      'docker only: volumes as "host:container[:ro|rw]", host an absolute path or a named volume; from a tool call only under security.community.allowed_volume_host_dirs / allowed_named_volumes',
    option: 'dockerVolumes',
    cli: { flag: 'volume', value: '<h:c[:ro]>', multiple: true, help: 'docker volume (repeatable)' },
  }),
  pull_policy: param({
    wire: 'string',
    schema: choice(PULL_POLICIES, (v) => v.trim().toLowerCase()),
    applies: 'docker',
    tool: true,
    config: 'plain',
    hostReaching: false,
    description: 'docker only: "missing" (default: pull the image when absent), "always" or "never"',
    option: 'pullPolicy',
    cli: { flag: 'pull', value: '<policy>', help: 'docker image pull: missing (default) | always | never' },
  }),
  pull_timeout_seconds: param({
    wire: 'number',
    schema: boundedNumber({ min: 0, above: true, max: 7200, unit: ' s' }),
    applies: 'docker',
    tool: false,
    config: 'plain',
    hostReaching: false,
    description: 'seconds an image pull may take (its own budget, apart from the start-up timeout)',
    option: 'pullTimeoutSeconds',
  }),
  python_venv_path: param({
    wire: 'string',
    schema: boundedString(BOUNDS.pathMax, 'the path').min(1, { error: 'must not be empty' }),
    applies: 'python',
    tool: true,
    config: 'nullable',
    hostReaching: true,
    description:
      'python only: venv holding deephaven-server (default: the configured venv, else the runtime of "dh-mcp setup python", see docs/setup.md); from a tool call only under security.community.allowed_python_venv_dirs',
    option: 'pythonVenvPath',
    cli: { flag: 'venv', value: '<dir>', help: 'python venv holding deephaven-server' },
  }),
  idle_timeout_seconds: param({
    wire: 'integer',
    schema: limitSeconds('idle timeout'),
    applies: 'any',
    tool: true,
    config: 'nullable',
    hostReaching: false,
    description:
      'Stop the worker (as session_community_delete does) after this many seconds in which no tool call used it; 0 for none (default from config, else none)',
  }),
  max_lifetime_seconds: param({
    wire: 'integer',
    schema: limitSeconds('maximum lifetime'),
    applies: 'any',
    tool: true,
    config: 'nullable',
    hostReaching: false,
    description:
      'Stop the worker this many seconds after it was created, even during a call; 0 for none (default from config, else none)',
  }),
  startup_timeout_seconds: param({
    wire: 'number',
    schema: boundedNumber({ min: 0, above: true, max: BOUNDS.startupTimeoutMaxSeconds, unit: ' s' }),
    applies: 'any',
    tool: false,
    config: 'plain',
    hostReaching: false,
    description: 'seconds to wait for the worker',
    option: 'startupTimeoutSeconds',
    cli: { flag: 'startup-timeout', value: '<s>', help: 'seconds to wait for the worker' },
  }),
  startup_check_interval_seconds: param({
    wire: 'number',
    schema: boundedNumber({ min: 0, above: true, max: BOUNDS.startupIntervalMaxSeconds, unit: ' s' }),
    applies: 'any',
    tool: false,
    config: 'plain',
    hostReaching: false,
    description: 'seconds between login attempts during start-up',
    option: 'startupCheckIntervalSeconds',
  }),
  startup_retries: param({
    wire: 'integer',
    schema: z
      .number({ error: (iss) => `expected a whole number, got ${describe(iss.input)}` })
      .int({ error: 'must be a whole number' })
      .min(0, { error: 'must be 0 or more' })
      .max(BOUNDS.startupRetriesMax, { error: `must be at most ${BOUNDS.startupRetriesMax}` }),
    applies: 'any',
    tool: false,
    config: 'plain',
    hostReaching: false,
    description: 'login attempts during start-up',
    option: 'startupRetries',
  }),
};

export type Params = typeof PARAMS;
export type ParamName = keyof Params;
export const PARAM_NAMES = Object.keys(PARAMS) as ParamName[];

type ToolNames = { [K in ParamName]: Params[K]['tool'] extends true ? K : never }[ParamName];

/** The arguments of session_community_create as they arrive: every optional one may be null or "". */
export type CreateArgs = { session_name: string } & {
  [K in Exclude<ToolNames, 'session_name'>]?: WireValue[Params[K]['wire']] | null;
};

/** The library's options (LaunchWorkerOptions' parameter part), derived from the same table. */
export type ParamOptions = {
  [K in ParamName as Params[K] extends { option: infer O extends string } ? O : never]?: z.output<
    Params[K]['schema']
  >;
};

// ---- Helpers for messages (no field names: callers prefix the path) -----------------------------------------

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `string ${quoteShort(v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function lengthOf(v: unknown): number {
  return typeof v === 'string' || Array.isArray(v) ? v.length : 0;
}
