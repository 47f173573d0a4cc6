import { describe, expect, it } from 'vitest';
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../src/config/errors.js';
import { locateConfig, readConfigFile, validateConfig } from '../../../src/config/load.js';
import { loadConfig } from '../../../src/config/discover.js';

function problems(raw: unknown): string[] {
  try {
    validateConfig(raw, 'test.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.length ? [...(e as ConfigError).problems] : [(e as Error).message];
  }
  throw new Error('expected the config to be rejected');
}

const session = (s: Record<string, unknown>) => ({ community: { sessions: { local: s } } });
const defaults = (d: Record<string, unknown>) => ({ community: { session_creation: { defaults: d } } });

// One row per invalid configuration: the document, and what the single error must say (path and fix).
const INVALID: Array<[string, unknown, string]> = [
  ['top level not an object', [], 'must be a JSON object at the top level'],
  [
    'unknown top-level key',
    { comunity: {} },
    "(top level): unknown key 'comunity'; allowed keys: security, community, enterprise",
  ],
  ['community not an object', { community: [] }, 'community: expected an object, got an array'],
  ['unknown community key', { community: { sesions: {} } }, "community: unknown key 'sesions'"],
  [
    'unknown session field',
    session({ hots: 'x' }),
    "community.sessions.local: unknown key 'hots'; allowed keys: host, port",
  ],
  [
    'port as string',
    session({ port: '10000' }),
    'community.sessions.local.port: expected a port number, got string "10000"',
  ],
  [
    'port as boolean',
    session({ port: true }),
    'community.sessions.local.port: expected a port number, got boolean true',
  ],
  [
    'port out of range',
    session({ port: 70000 }),
    'community.sessions.local.port: must be between 1 and 65535',
  ],
  ['port not whole', session({ port: 10000.5 }), 'community.sessions.local.port: must be a whole number'],
  ['empty host', session({ host: '' }), 'community.sessions.local.host: must not be empty'],
  [
    'use_tls as number',
    session({ use_tls: 1 }),
    'community.sessions.local.use_tls: expected true or false, got number 1',
  ],
  [
    'never_timeout as string',
    session({ never_timeout: 'yes' }),
    'community.sessions.local.never_timeout: expected true or false',
  ],
  [
    'token and env var',
    session({ auth_token: 'a', auth_token_env_var: 'B' }),
    "'auth_token' and 'auth_token_env_var' are both set; keep only one",
  ],
  [
    'bad session_type',
    session({ session_type: 'scala' }),
    "community.sessions.local.session_type: must be one of 'python', 'groovy', got 'scala'",
  ],
  [
    'auth_type whitespace',
    session({ auth_type: ' PSK' }),
    "community.sessions.local.auth_type: ' PSK' has leading or trailing whitespace",
  ],
  [
    'auth_type PSK class wrong case',
    session({ auth_type: 'io.deephaven.authentication.psk.pskauthenticationhandler' }),
    'looks like the PSK handler with the wrong case',
  ],
  [
    'auth_type nonsense',
    session({ auth_type: 'password please' }),
    'is not a known auth type; use "PSK", "Anonymous", "Basic"',
  ],
  [
    'tls files without use_tls',
    session({ tls_root_certs: '/ca.pem' }),
    "community.sessions.local.use_tls: TLS files are set but 'use_tls' is not true",
  ],
  [
    'cert without key',
    session({ use_tls: true, client_cert_chain: '/c.pem' }),
    'community.sessions.local.client_private_key: mutual TLS needs both',
  ],
  [
    'bad session name',
    { community: { sessions: { 'a b': {} } } },
    'community.sessions.a b: session names use letters, digits',
  ],
  [
    'negative max sessions',
    { community: { session_creation: { max_concurrent_sessions: -1 } } },
    'community.session_creation.max_concurrent_sessions: must be 0 (creation disabled) or more',
  ],
  [
    'max sessions not whole',
    { community: { session_creation: { max_concurrent_sessions: 2.5 } } },
    'max_concurrent_sessions: must be a whole number',
  ],
  [
    'unknown session_creation key',
    { community: { session_creation: { max_sessions: 2 } } },
    "community.session_creation: unknown key 'max_sessions'",
  ],
  ['unknown defaults key', defaults({ heap: 2 }), "community.session_creation.defaults: unknown key 'heap'"],
  [
    'bad launch_method',
    defaults({ launch_method: 'podman' }),
    "community.session_creation.defaults.launch_method: must be one of 'docker', 'python', got 'podman'",
  ],
  [
    'bad programming_language',
    defaults({ programming_language: 'Scala' }),
    "defaults.programming_language: must be one of 'Python', 'Groovy', got 'Scala'",
  ],
  [
    'zero heap',
    defaults({ heap_size_gb: 0 }),
    'community.session_creation.defaults.heap_size_gb: must be at least 0.25 GB, got 0; a Deephaven worker needs at least 256 MB',
  ],
  ['negative heap', defaults({ heap_size_gb: -2 }), 'heap_size_gb: must be at least 0.25 GB, got -2'],
  ['heap as string', defaults({ heap_size_gb: '4' }), "heap_size_gb: expected a number, got string '4'"],
  [
    'zero timeout',
    defaults({ startup_timeout_seconds: 0 }),
    'startup_timeout_seconds: must be greater than 0 s, got 0',
  ],
  [
    'zero interval',
    defaults({ startup_check_interval_seconds: 0 }),
    'startup_check_interval_seconds: must be greater than 0 s, got 0',
  ],
  ['negative retries', defaults({ startup_retries: -1 }), 'defaults.startup_retries: must be 0 or more'],
  [
    'zero memory limit',
    defaults({ docker_memory_limit_gb: 0 }),
    'docker_memory_limit_gb: must be greater than 0 GB, got 0',
  ],
  ['zero cpu limit', defaults({ docker_cpu_limit: 0 }), 'docker_cpu_limit: must be at least 0.01, got 0'],
  [
    'volumes not strings',
    defaults({ docker_volumes: [1] }),
    'community.session_creation.defaults.docker_volumes[0]: expected a string, got number 1',
  ],
  [
    'jvm args not a list',
    defaults({ extra_jvm_args: '-Xss1m' }),
    'defaults.extra_jvm_args: expected an array of strings, got string',
  ],
  [
    'env var value not string',
    defaults({ environment_vars: { A: 1 } }),
    'community.session_creation.defaults.environment_vars.A',
  ],
  [
    'defaults token and env var',
    defaults({ auth_token: 'x', auth_token_env_var: 'Y' }),
    "defaults.auth_token_env_var: 'auth_token' and 'auth_token_env_var' are both set",
  ],
  [
    'image and language',
    defaults({ docker_image: 'x', programming_language: 'Groovy' }),
    "defaults.docker_image: give either 'programming_language' or 'docker_image', not both",
  ],
  ['defaults Basic auth', defaults({ auth_type: 'Basic' }), 'Basic is not supported for created workers'],
  [
    'defaults custom auth',
    defaults({ auth_type: 'com.example.MyHandler' }),
    "not the custom handler 'com.example.MyHandler'",
  ],
  [
    'bad retrieval mode',
    { security: { community: { credential_retrieval_mode: 'everything' } } },
    'security.community.credential_retrieval_mode: must be one of "none", "dynamic_only", "static_only", "all"',
  ],
  [
    'unknown security key',
    { security: { community: { credential_retrieval_enabled: true } } },
    "security.community: unknown key 'credential_retrieval_enabled'",
  ],
  [
    'enterprise missing url',
    { enterprise: { systems: { prod: { auth_type: 'private_key', private_key: '/k' } } } },
    'enterprise.systems.prod.connection_json_url',
  ],
  [
    'enterprise bad auth',
    { enterprise: { systems: { prod: { connection_json_url: 'https://x', auth_type: 'saml' } } } },
    'enterprise.systems.prod.auth_type: must be "password" or "private_key"',
  ],
  [
    'enterprise password without username',
    {
      enterprise: {
        systems: { prod: { connection_json_url: 'https://x', auth_type: 'password', password: 'p' } },
      },
    },
    "enterprise.systems.prod.username: auth_type 'password' needs 'username'",
  ],
  [
    'enterprise password and env',
    {
      enterprise: {
        systems: {
          prod: {
            connection_json_url: 'https://x',
            auth_type: 'password',
            username: 'u',
            password: 'p',
            password_env_var: 'P',
          },
        },
      },
    },
    "needs exactly one of 'password' and 'password_env_var'",
  ],
];

describe('invalid configurations', () => {
  it.each(INVALID)('%s', (_name, raw, expected) => {
    const p = problems(raw);
    expect(p.join('\n')).toContain(expected);
  });

  it('reports every problem at once', () => {
    expect(problems({ community: { sessions: { a: { port: 0 }, b: { host: '' } } } })).toHaveLength(2);
  });
});

describe('valid configurations', () => {
  it('accepts an empty document', () => {
    expect(validateConfig({}, 't')).toEqual({});
  });

  it('fills the reference defaults and normalises case-insensitive values', () => {
    const c = validateConfig(
      {
        community: {
          session_creation: {
            defaults: { launch_method: 'Python', programming_language: 'groovy', heap_size_gb: 2.5 },
          },
        },
      },
      't',
    );
    expect(c.community?.session_creation).toEqual({
      max_concurrent_sessions: 5,
      defaults: { launch_method: 'python', programming_language: 'Groovy', heap_size_gb: 2.5 },
    });
  });

  it('accepts the reference auth_type spellings for static sessions', () => {
    for (const a of [
      'PSK',
      'psk',
      'Anonymous',
      'ANONYMOUS',
      'Basic',
      'io.deephaven.authentication.psk.PskAuthenticationHandler',
      'com.example.CustomHandler',
    ]) {
      expect(() => validateConfig(session({ auth_type: a }), 't')).not.toThrow();
    }
  });

  it('accepts a full reference-style config, with enterprise systems', () => {
    expect(() =>
      validateConfig(
        {
          security: { community: { credential_retrieval_mode: 'dynamic_only' } },
          community: {
            sessions: {
              local: {
                host: 'localhost',
                port: 10000,
                auth_type: 'PSK',
                auth_token: 't',
                never_timeout: true,
                session_type: 'python',
              },
            },
            session_creation: {
              max_concurrent_sessions: 0,
              defaults: {
                launch_method: 'docker',
                auth_type: 'PSK',
                auth_token: null,
                docker_volumes: ['/a:/b:ro'],
                environment_vars: { A: 'b' },
              },
            },
          },
          enterprise: {
            systems: {
              prod: {
                connection_json_url: 'https://x/iris/connection.json',
                auth_type: 'password',
                username: 'u',
                password_env_var: 'P',
              },
            },
          },
        },
        't',
      ),
    ).not.toThrow();
  });
});

describe('files and discovery', () => {
  it('parses JSON5 (comments, trailing commas, unquoted keys)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-'));
    const f = path.join(dir, 'c.json');
    await writeFile(f, '// hi\n{community: {sessions: {a: {port: 10001,},},},}');
    expect((await readConfigFile(f)).config.community?.sessions?.a?.port).toBe(10001);
  });

  it('says when the file is not JSON5', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-'));
    const f = path.join(dir, 'c.json');
    await writeFile(f, '{community: ');
    await expect(readConfigFile(f)).rejects.toThrow(/is not valid JSON5/);
  });

  it('names DH_MCP_CONFIG_FILE when the file it points at is missing', async () => {
    await expect(loadConfig({ DH_MCP_CONFIG_FILE: '/nonexistent/dh.json' })).rejects.toThrow(
      /file not found \(named by DH_MCP_CONFIG_FILE; point it at an existing file or unset it\)/,
    );
  });

  it('uses DH_MCP_CONFIG_FILE, else ./deephaven_mcp.json, else the embedded default', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-'));
    expect(await locateConfig({}, dir)).toEqual({ kind: 'embedded' });
    await writeFile(path.join(dir, 'deephaven_mcp.json'), '{}');
    expect(await locateConfig({}, dir)).toEqual({
      kind: 'file',
      path: path.join(dir, 'deephaven_mcp.json'),
      fromEnv: false,
    });
    expect(await locateConfig({ DH_MCP_CONFIG_FILE: 'x.json' }, dir)).toEqual({
      kind: 'file',
      path: path.join(dir, 'x.json'),
      fromEnv: true,
    });
  });

  it('the embedded default enables session creation with a detected launch method', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-'));
    await mkdir(dir, { recursive: true });
    const loaded = await loadConfig({}, dir);
    expect(loaded.source).toMatch(/^embedded default \(launch_method (docker|python)\)$/);
    expect(loaded.config.community?.session_creation?.max_concurrent_sessions).toBe(5);
    expect(loaded.config.security?.community?.credential_retrieval_mode).toBe('none');
    // Created workers do not outlive their use (docs/configuration.md, "Idle timeout and maximum lifetime").
    expect(loaded.config.community?.session_creation?.defaults).toMatchObject({
      idle_timeout_seconds: 3600,
      max_lifetime_seconds: 86_400,
    });
  });
});
