import { describe, expect, it } from 'vitest';
import { SessionCreationSchema } from '../../../src/config/schema.js';
import { resolveCreateRequest, type CreateArgs } from '../../../src/creation/create-request.js';
import { defaultImage } from '../../../src/util/paths.js';

const creation = (defaults: Record<string, unknown> = {}) => SessionCreationSchema.parse({ defaults });
const resolve = (
  args: Partial<CreateArgs>,
  defaults: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
) => resolveCreateRequest({ session_name: 'w', ...args }, creation(defaults), env);

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
    expect(resolve({ auth_token: 'abc' })).toMatchObject({ token: 'abc', tokenSource: 'argument' });
    expect(resolve({}, { auth_token_env_var: 'TOK' }, { TOK: 'fromenv' })).toMatchObject({
      token: 'fromenv',
      tokenSource: 'environment',
    });
    expect(resolve({}, { auth_token: 'lit' })).toMatchObject({ token: 'lit', tokenSource: 'config' });
    expect(resolve({}, { auth_token: null }).tokenSource).toBe('generated');
    expect(resolve({ auth_type: 'anonymous' })).toMatchObject({ auth: 'ANONYMOUS', tokenSource: 'none' });
    expect(resolve({ auth_type: 'anonymous' }).token).toBeUndefined();
  });
});

describe('every bad request names the parameter and the fix', () => {
  it.each<[Partial<CreateArgs>, Record<string, unknown>, RegExp]>([
    [{ session_name: 'a b' }, {}, /session_name 'a b' is not valid: use letters, digits/],
    [{ session_name: '' }, {}, /session_name '' is not valid/],
    [{ session_name: 'x'.repeat(64) }, {}, /is not valid/],
    [{ launch_method: 'podman' }, {}, /launch_method must be "docker" or "python", got 'podman'/],
    [
      { launch_method: 'python', docker_image: 'x' },
      {},
      /'docker_image' applies only to launch_method "docker", not "python"; remove it/,
    ],
    [
      { launch_method: 'python', docker_volumes: ['/a:/b'] },
      {},
      /'docker_volumes' applies only to launch_method "docker"/,
    ],
    [{ launch_method: 'python', docker_memory_limit_gb: 2 }, {}, /'docker_memory_limit_gb' applies only/],
    [{ launch_method: 'python', docker_cpu_limit: 1 }, {}, /'docker_cpu_limit' applies only/],
    [
      { launch_method: 'docker', python_venv_path: '/v' },
      {},
      /'python_venv_path' applies only to launch_method "python"/,
    ],
    [
      { programming_language: 'Python', docker_image: 'x' },
      {},
      /either 'programming_language' or 'docker_image', not both/,
    ],
    [{ programming_language: 'Scala' }, {}, /programming_language must be "Python" or "Groovy", got 'Scala'/],
    [{ auth_type: 'Basic' }, {}, /Invalid auth_type: Basic authentication needs a user database/],
    [
      { auth_type: 'com.example.MyHandler' },
      {},
      /Invalid auth_type: 'com\.example\.MyHandler' is not supported for created workers/,
    ],
    [{ auth_type: ' PSK' }, {}, /Invalid auth_type: auth_type: ' PSK' has leading or trailing whitespace/],
    [{ auth_type: 'io.deephaven.authentication.psk.pskauthenticationhandler' }, {}, /wrong case/],
    [{ auth_type: 'Anonymous', auth_token: 't' }, {}, /auth_token is only used with auth_type "PSK"/],
    [{ auth_token: 'has space' }, {}, /auth_token must not contain whitespace/],
    [{ heap_size_gb: 0 }, {}, /heap_size_gb must be a number greater than 0, got 0/],
    [{ heap_size_gb: -2 }, {}, /heap_size_gb must be a number greater than 0, got -2/],
    [{ docker_memory_limit_gb: 0 }, {}, /docker_memory_limit_gb must be a number greater than 0/],
    [{ docker_cpu_limit: -1 }, {}, /docker_cpu_limit must be a number greater than 0/],
    [
      { docker_volumes: ['/:/host:rx'] },
      {},
      /docker_volumes\[0\] '\/:\/host:rx' is not "host:container\[:ro\|rw\]"/,
    ],
    [{ docker_volumes: ['relative'] }, {}, /docker_volumes\[0\]/],
    [{ extra_jvm_args: ['-Xss1m', 'oops'] }, {}, /extra_jvm_args\[1\] 'oops' is not a JVM option/],
    [
      { environment_vars: { 'BAD-NAME': 'x' } },
      {},
      /environment_vars key 'BAD-NAME' is not a valid variable name/,
    ],
    [{ environment_vars: { DH_WORKER_PSK: 'x' } }, {}, /environment_vars key 'DH_WORKER_PSK' is reserved/],
    [
      {},
      { auth_token_env_var: 'NOPE' },
      /environment variable 'NOPE' named by community\.session_creation\.defaults\.auth_token_env_var is not set/,
    ],
  ])('%j with defaults %j', (args, defaults, message) => {
    expect(() => resolve(args, defaults)).toThrow(message);
  });
});
