import { describe, expect, it } from 'vitest';
import { SessionCreationSchema } from '../../../../src/config/schema.js';
import type { CreateArgs } from '../../../../src/workers/params/model.js';
import { resolveCreateRequest } from '../../../../src/workers/params/resolve.js';
import { defaultImage } from '../../../../src/util/paths.js';

const machine = { memoryGb: 16, cpus: 4 };

const creation = (defaults: Record<string, unknown> = {}) => SessionCreationSchema.parse({ defaults });
const resolve = (
  args: Partial<CreateArgs>,
  defaults: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
) => resolveCreateRequest({ session_name: 'w', ...args } as CreateArgs, creation(defaults), { env, machine });

describe('resolution order: tool argument, then config defaults, then the reference defaults', () => {
  it('uses the reference defaults when nothing is given', () => {
    const p = resolve({});
    expect(p).toMatchObject({
      method: 'docker',
      language: 'python',
      auth: 'PSK',
      tokenSource: 'generated',
      heapSizeGb: 4,
      extraJvmArgs: [],
      environment: {},
      docker: { image: defaultImage('Python', {}), volumes: [] },
      startup: { timeoutMs: 60_000, intervalMs: 2000, retries: 3 },
    });
    expect(p.token).toMatch(/^[0-9a-f]{32}$/);
    expect(resolve({}).token).not.toBe(p.token);
  });

  it('config defaults beat reference defaults; tool arguments beat both', () => {
    const d = {
      launch_method: 'python',
      heap_size_gb: 2,
      extra_jvm_args: ['-Da=1'],
      startup_timeout_seconds: 5,
    };
    expect(resolve({}, d)).toMatchObject({ method: 'python', heapSizeGb: 2, extraJvmArgs: ['-Da=1'] });
    expect(resolve({ launch_method: 'DOCKER', heap_size_gb: 2.5, extra_jvm_args: [] }, d)).toMatchObject({
      method: 'docker',
      heapSizeGb: 2.5,
      extraJvmArgs: [],
      startup: { timeoutMs: 5000 },
    });
  });

  it('null and "" mean "not given", as reference clients send them', () => {
    expect(
      resolve({ launch_method: null, auth_type: '', heap_size_gb: null }, { heap_size_gb: 3 }),
    ).toMatchObject({
      method: 'docker',
      auth: 'PSK',
      heapSizeGb: 3,
    });
  });

  it('environment variables merge, the tool winning per key', () => {
    expect(
      resolve({ environment_vars: { B: 'tool' } }, { environment_vars: { A: 'cfg', B: 'cfg' } }).environment,
    ).toEqual({
      A: 'cfg',
      B: 'tool',
    });
  });

  it('image: tool docker_image, tool language, config image, config language', () => {
    expect(resolve({ docker_image: 'x:1' }).docker.image).toBe('x:1');
    expect(resolve({ docker_image: 'x:1' }).language).toBeUndefined(); // the image decides
    expect(resolve({ programming_language: 'groovy' }, { docker_image: 'cfg:1' })).toMatchObject({
      language: 'groovy',
      docker: { image: defaultImage('Groovy', {}) },
    });
    expect(resolve({}, { docker_image: 'cfg:1' }).docker.image).toBe('cfg:1');
    expect(resolve({}, { programming_language: 'Groovy' }).docker.image).toBe(defaultImage('Groovy', {}));
  });

  it('python launches may choose Groovy too', () => {
    expect(resolve({ launch_method: 'python', programming_language: 'Groovy' }).language).toBe('groovy');
  });

  it('tokens: argument, then the env var named in config, then the config literal, then generated', () => {
    expect(resolve({ auth_token: 'abcdefgh' })).toMatchObject({ token: 'abcdefgh', tokenSource: 'argument' });
    expect(resolve({}, { auth_token_env_var: 'TOK' }, { TOK: 'from-env-1' })).toMatchObject({
      token: 'from-env-1',
      tokenSource: 'environment',
    });
    expect(resolve({}, { auth_token: 'literal-1' })).toMatchObject({
      token: 'literal-1',
      tokenSource: 'config',
    });
    expect(resolve({}, { auth_token: null }).tokenSource).toBe('generated');
    expect(resolve({ auth_type: 'anonymous' })).toMatchObject({ auth: 'ANONYMOUS', tokenSource: 'none' });
    expect(resolve({ auth_type: 'anonymous' }).token).toBeUndefined();
  });
});

describe('every bad request names the parameter and the fix', () => {
  it.each<[Record<string, unknown>, Record<string, unknown>, RegExp]>([
    [{ session_name: 'a b' }, {}, /^session_name: 'a b' is not valid: use letters, digits/],
    [{ session_name: '' }, {}, /^session_name: is required/],
    [{ session_name: 'x'.repeat(65) }, {}, /^session_name: 'x+…' \(65 characters\) is not valid/],
    [{ launch_method: 'podman' }, {}, /^launch_method: must be one of 'docker', 'python', got 'podman'/],
    [
      { launch_method: 'python', docker_image: 'x' },
      {},
      /^docker_image: applies only to launch_method "docker", not "python"; remove it/,
    ],
    [
      { launch_method: 'python', docker_volumes: ['/a:/b'] },
      {},
      /^docker_volumes: applies only to launch_method "docker"/,
    ],
    [{ launch_method: 'python', docker_memory_limit_gb: 2 }, {}, /^docker_memory_limit_gb: applies only/],
    [{ launch_method: 'python', docker_cpu_limit: 1 }, {}, /^docker_cpu_limit: applies only/],
    [
      { launch_method: 'docker', python_venv_path: '/v' },
      {},
      /^python_venv_path: applies only to launch_method "python"/,
    ],
    [
      { programming_language: 'Python', docker_image: 'x' },
      {},
      /^docker_image: give either 'programming_language' or 'docker_image', not both/,
    ],
    [
      { programming_language: 'Scala' },
      {},
      /^programming_language: must be one of 'Python', 'Groovy', got 'Scala'/,
    ],
    [{ auth_type: 'Basic' }, {}, /^auth_type: Basic is not supported for created workers/],
    [{ auth_type: 'com.example.MyHandler' }, {}, /not the custom handler 'com\.example\.MyHandler'/],
    [{ auth_type: ' PSK' }, {}, /^auth_type: ' PSK' has leading or trailing whitespace/],
    [{ auth_type: 'io.deephaven.authentication.psk.pskauthenticationhandler' }, {}, /wrong case/],
    [
      { auth_type: 'Anonymous', auth_token: 'tttttttt' },
      {},
      /^auth_token: is only used with auth_type "PSK"/,
    ],
    [
      { auth_token: 'has space' },
      {},
      /^auth_token: may contain only printable ASCII characters without spaces/,
    ],
    [{ auth_token: 'short' }, {}, /^auth_token: is 5 characters long; a PSK needs at least 8/],
    [{ heap_size_gb: 0 }, {}, /^heap_size_gb: must be at least 0.25 GB, got 0/],
    [{ heap_size_gb: -2 }, {}, /^heap_size_gb: must be at least 0.25 GB, got -2/],
    [{ docker_memory_limit_gb: 0 }, {}, /^docker_memory_limit_gb: must be greater than 0 GB/],
    [{ docker_cpu_limit: -1 }, {}, /^docker_cpu_limit: must be at least 0.01, got -1/],
    [{ docker_volumes: ['/:/host:rx'] }, {}, /^docker_volumes\[0\]: has mode 'rx'; use "ro" or "rw"/],
    [{ docker_volumes: ['relative'] }, {}, /^docker_volumes\[0\]: is not "host:container\[:mode\]"/],
    [
      { docker_volumes: ['./data:/data'] },
      {},
      /^docker_volumes\[0\]: has host part '\.\/data', which is neither an absolute path nor a volume name/,
    ],
    [
      { docker_volumes: ['/data:data'] },
      {},
      /^docker_volumes\[0\]: has a container path that is not absolute/,
    ],
    [{ extra_jvm_args: ['-Xss1m', 'oops'] }, {}, /^extra_jvm_args\[1\]: 'oops' is not a JVM option/],
    [
      { environment_vars: { 'BAD-NAME': 'x' } },
      {},
      /^environment_vars\.BAD-NAME: 'BAD-NAME' is not a valid variable name/,
    ],
    [
      { environment_vars: { DH_WORKER_PSK: 'x' } },
      {},
      /^environment_vars\.DH_WORKER_PSK: 'DH_WORKER_PSK' is reserved/,
    ],
    [
      {},
      { auth_token_env_var: 'NOPE' },
      /environment variable 'NOPE' named by community\.session_creation\.defaults\.auth_token_env_var is not set/,
    ],
    [
      {},
      { auth_token_env_var: 'TOK' },
      /^the environment variable 'TOK' \(community\.session_creation\.defaults\.auth_token_env_var\): is 3 characters long/,
    ],
  ])('%j with defaults %j', (args, defaults, message) => {
    expect(() => resolve(args as Partial<CreateArgs>, defaults, { TOK: 'abc' })).toThrow(message);
  });

  it('names every problem of one request at once', () => {
    expect(() => resolve({ heap_size_gb: 0, auth_token: 'has space' } as Partial<CreateArgs>)).toThrow(
      /the request has 2 problems:\n {2}- auth_token: .*\n {2}- heap_size_gb: /,
    );
  });
});

describe('idle timeout and maximum lifetime (server-side limits of created workers)', () => {
  it('off unless set; config defaults, a tool argument wins, 0 and null mean no limit', () => {
    expect(resolve({}).lifecycle).toEqual({ idleTimeoutMs: undefined, maxLifetimeMs: undefined });
    const d = { idle_timeout_seconds: 3600, max_lifetime_seconds: 86_400 };
    expect(resolve({}, d).lifecycle).toEqual({ idleTimeoutMs: 3_600_000, maxLifetimeMs: 86_400_000 });
    expect(resolve({ idle_timeout_seconds: 5 }, d).lifecycle).toEqual({
      idleTimeoutMs: 5000,
      maxLifetimeMs: 86_400_000,
    });
    expect(resolve({ idle_timeout_seconds: 0, max_lifetime_seconds: 0 }, d).lifecycle).toEqual({
      idleTimeoutMs: undefined,
      maxLifetimeMs: undefined,
    });
    // null from a client means "not given": the config's value stays.
    expect(resolve({ idle_timeout_seconds: null }, d).lifecycle.idleTimeoutMs).toBe(3_600_000);
    expect(resolve({}, { idle_timeout_seconds: null }).lifecycle.idleTimeoutMs).toBeUndefined();
  });

  it.each([
    [
      { idle_timeout_seconds: -1 },
      /^idle_timeout_seconds: must be 0 \(no idle timeout\) or a number of seconds, got -1$/,
    ],
    [{ idle_timeout_seconds: 1.5 }, /^idle_timeout_seconds: must be a whole number of seconds, got 1.5$/],
    [
      { max_lifetime_seconds: 2_592_001 },
      /^max_lifetime_seconds: must be at most 2592000 s \(30 days\), got 2592001; use 0 for no maximum lifetime$/,
    ],
    [
      { max_lifetime_seconds: '60' },
      /^max_lifetime_seconds: expected a whole number of seconds, got string '60'$/,
    ],
  ])('%j is refused, naming the field and the bound', (args, message) => {
    expect(() => resolve(args as Partial<CreateArgs>)).toThrow(message);
  });

  it('the config file is checked with the same bounds, naming its path', () => {
    const r = SessionCreationSchema.safeParse({ defaults: { idle_timeout_seconds: -5 } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({
      path: ['defaults', 'idle_timeout_seconds'],
      message: 'must be 0 (no idle timeout) or a number of seconds, got -5',
    });
  });
});
