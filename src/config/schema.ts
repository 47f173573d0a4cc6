import { z } from 'zod';
import { creationDefaultsShape, refineCreationDefaults } from '../workers/params/derive.js';
import {
  LAUNCH_METHODS,
  PROGRAMMING_LANGUAGES,
  PULL_POLICIES,
  type PullPolicy,
  SESSION_NAME_RE,
  SESSION_NAME_RULE,
  normaliseLanguage,
  type LaunchMethod,
  type ProgrammingLanguage,
} from '../workers/params/model.js';
import { DEFAULT_ALLOWED_DOCKER_IMAGES } from '../workers/params/policy.js';
import { poolProblems, warmPoolShape } from '../workers/pool/pool-settings.js';
import { quote } from '../util/quote.js';

export { LAUNCH_METHODS, PROGRAMMING_LANGUAGES, PULL_POLICIES, SESSION_NAME_RE, normaliseLanguage };
export type { PullPolicy };
export type { LaunchMethod, ProgrammingLanguage };

/**
 * The `deephaven_mcp.json` schema, compatible with the Python reference (same keys, same defaults), stricter
 * where the reference is lax: unknown keys are errors everywhere, booleans are not numbers, enumerations are
 * checked at load time, and mutually exclusive keys cannot both be set.
 */

/** A strict object whose unknown-key error lists what is allowed, so the fix is in the message. */
function strict<S extends z.ZodRawShape>(shape: S) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown key${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `'${k}'`).join(', ')}; allowed keys: ${allowed}`
        : iss.code === 'invalid_type'
          ? `expected an object, got ${describe(iss.input)}`
          : undefined,
  });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

const positive = (what: string) =>
  z.number({ error: (iss) => `${what} must be a number, got ${describe(iss.input)}` }).positive({
    error: (iss) => `${what} must be greater than 0, got ${String(iss.input)}`,
  });
const stringList = z.array(z.string({ error: (iss) => `expected a string, got ${describe(iss.input)}` }), {
  error: (iss) => `expected an array of strings, got ${describe(iss.input)}`,
});
const str = z.string({ error: (iss) => `expected a string, got ${describe(iss.input)}` });
const bool = z.boolean({ error: (iss) => `expected true or false, got ${describe(iss.input)}` });
const nonEmpty = str.min(1, { error: 'must not be empty' });

/** Case-insensitive enumeration, normalised to the listed spelling. */
function caseInsensitiveEnum<const T extends readonly [string, ...string[]]>(
  values: T,
  normalise: (v: string) => string,
) {
  return str.transform((v, ctx) => {
    const n = normalise(v);
    if (!(values as readonly string[]).includes(n)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be one of ${values.map((x) => `'${x}'`).join(', ')}, got ${quote(v)}`,
      });
      return z.NEVER;
    }
    return n as T[number];
  });
}

const absoluteDirs = z.array(
  str.refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), {
    error: 'must be an absolute directory path',
  }),
  { error: (iss) => `expected an array of absolute directory paths, got ${describe(iss.input)}` },
);

export const CREDENTIAL_RETRIEVAL_MODES = ['none', 'dynamic_only', 'static_only', 'all'] as const;
export type CredentialRetrievalMode = (typeof CREDENTIAL_RETRIEVAL_MODES)[number];

export const SecuritySchema = strict({
  community: strict({
    credential_retrieval_mode: z
      .enum(CREDENTIAL_RETRIEVAL_MODES, {
        error: (iss) =>
          `must be one of ${CREDENTIAL_RETRIEVAL_MODES.map((m) => `"${m}"`).join(', ')}, got ${describe(iss.input)}`,
      })
      .default('none'),
    /** dh-mcp extension: directories session_script_run may read script_path files from (none by default). */
    script_path_allowed_dirs: absoluteDirs.default([]),
    // What a tool call may ask of the host (docs/security.md); config values are never checked against these.
    allowed_volume_host_dirs: absoluteDirs.default([]),
    allowed_named_volumes: z
      .array(str.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]+$/, { error: 'is not a Docker volume name' }), {
        error: (iss) => `expected an array of volume names, got ${describe(iss.input)}`,
      })
      .default([]),
    allowed_environment_vars: stringList.default([]),
    allowed_jvm_arg_prefixes: z
      .array(str.min(2, { error: 'must be a JVM option prefix such as "-javaagent:/opt/agents/"' }))
      .default([]),
    allowed_docker_images: stringList.default(() => [...DEFAULT_ALLOWED_DOCKER_IMAGES]),
    allowed_python_venv_dirs: absoluteDirs.default([]),
  }).optional(),
});

export const PORT = z
  .number({ error: (iss) => `expected a port number, got ${describe(iss.input)}` })
  .int({ error: 'must be a whole number' })
  .min(1, { error: 'must be between 1 and 65535' })
  .max(65535, { error: 'must be between 1 and 65535' });

export const StaticSessionSchema = strict({
  host: nonEmpty.optional(),
  port: PORT.optional(),
  auth_type: str.optional(),
  auth_token: str.optional(),
  auth_token_env_var: nonEmpty.optional(),
  never_timeout: bool.optional(),
  session_type: caseInsensitiveEnum(['python', 'groovy'] as const, (v) => v.toLowerCase()).optional(),
  use_tls: bool.optional(),
  tls_root_certs: nonEmpty.nullable().optional(),
  client_cert_chain: nonEmpty.nullable().optional(),
  client_private_key: nonEmpty.nullable().optional(),
}).superRefine((s, ctx) => {
  if (s.auth_token !== undefined && s.auth_token_env_var !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['auth_token_env_var'],
      message: "'auth_token' and 'auth_token_env_var' are both set; keep only one",
    });
  }
  if ((s.client_cert_chain == null) !== (s.client_private_key == null)) {
    ctx.addIssue({
      code: 'custom',
      path: [s.client_cert_chain == null ? 'client_cert_chain' : 'client_private_key'],
      message: "mutual TLS needs both 'client_cert_chain' and 'client_private_key'",
    });
  }
  if (!s.use_tls && (s.tls_root_certs != null || s.client_cert_chain != null)) {
    ctx.addIssue({
      code: 'custom',
      path: ['use_tls'],
      message: 'TLS files are set but \'use_tls\' is not true; set "use_tls": true',
    });
  }
});
export type StaticSessionConfig = z.infer<typeof StaticSessionSchema>;

/** Keys, types and bounds come from the parameter model (src/workers/params), shared with the tool schema. */
export const SessionCreationDefaultsSchema = strict(creationDefaultsShape()).superRefine((d, ctx) =>
  refineCreationDefaults(d as Record<string, unknown>, ctx),
);
export type SessionCreationDefaults = z.infer<typeof SessionCreationDefaultsSchema>;

/** dh-mcp extension: workers started ahead of demand (src/workers/pool, docs/configuration.md). */
export const WarmPoolSchema = strict(warmPoolShape());
export type WarmPoolConfig = z.infer<typeof WarmPoolSchema>;

export const SessionCreationSchema = strict({
  max_concurrent_sessions: z
    .number({ error: (iss) => `expected a whole number, got ${describe(iss.input)}` })
    .int({ error: 'must be a whole number' })
    .min(0, { error: 'must be 0 (creation disabled) or more' })
    .default(5),
  defaults: SessionCreationDefaultsSchema.default({}),
  warm_pool: WarmPoolSchema.optional(),
}).superRefine((c, ctx) => {
  for (const p of poolProblems(c)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
});
export type SessionCreationConfig = z.infer<typeof SessionCreationSchema>;

const EnterpriseSystemSchema = strict({
  connection_json_url: nonEmpty,
  auth_type: z.enum(['password', 'private_key'], {
    error: (iss) => `must be "password" or "private_key", got ${describe(iss.input)}`,
  }),
  username: nonEmpty.optional(),
  password: str.optional(),
  password_env_var: nonEmpty.optional(),
  private_key: nonEmpty.optional(),
  connection_timeout: positive('connection_timeout').optional(),
  session_creation: strict({
    max_concurrent_sessions: z.number().int().min(0).optional(),
    defaults: z.record(str, z.unknown()).optional(),
  }).optional(),
}).superRefine((s, ctx) => {
  if (s.auth_type === 'password') {
    if (s.username === undefined)
      ctx.addIssue({ code: 'custom', path: ['username'], message: "auth_type 'password' needs 'username'" });
    if ((s.password === undefined) === (s.password_env_var === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: "auth_type 'password' needs exactly one of 'password' and 'password_env_var'",
      });
  } else if (s.private_key === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['private_key'],
      message: "auth_type 'private_key' needs 'private_key'",
    });
  }
});
export type EnterpriseSystemConfig = z.infer<typeof EnterpriseSystemSchema>;

const sessionName = str.regex(SESSION_NAME_RE, { error: `session names ${SESSION_NAME_RULE}` });

export const ConfigSchema = strict({
  security: SecuritySchema.optional(),
  community: strict({
    sessions: z.record(sessionName, StaticSessionSchema).optional(),
    session_creation: SessionCreationSchema.optional(),
  }).optional(),
  enterprise: strict({
    systems: z.record(sessionName, EnterpriseSystemSchema).optional(),
  }).optional(),
});
export type DhMcpConfig = z.infer<typeof ConfigSchema>;
export type DhMcpConfigInput = z.input<typeof ConfigSchema>;
