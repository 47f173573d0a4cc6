import { describe, expect, it } from 'vitest';
import { SessionCreationSchema } from '../../../../src/config/schema.js';
import type { CreateArgs } from '../../../../src/workers/params/model.js';
import { resolveCreateRequest } from '../../../../src/workers/params/resolve.js';
import { planMatches } from '../../../../src/workers/pool/pool-match.js';
import { poolSpec } from '../../../../src/workers/pool/pool-plan.js';

const machine = { memoryGb: 16, cpus: 4 };
const env = { DH_MCP_VENV: '/opt/venv' };

function setup(creation: Record<string, unknown>, envOver: NodeJS.ProcessEnv = {}) {
  const c = SessionCreationSchema.parse(creation);
  const e = { ...env, ...envOver };
  const spec = poolSpec(c, { env: e, machine })!;
  const request = (args: Partial<CreateArgs> = {}) =>
    resolveCreateRequest({ session_name: 'mine', ...args } as CreateArgs, c, { env: e, machine });
  return { spec, request };
}

describe('which creates a pooled worker serves', () => {
  it('a create that sets nothing matches a pool of the defaults; name and generated PSK do not count', () => {
    const { spec, request } = setup({ defaults: { heap_size_gb: 1 }, warm_pool: { size: 1 } });
    const r = request();
    expect(r.token).not.toBe(spec.template.token);
    expect(planMatches(spec.template, r)).toBe(true);
    // Arguments that resolve to the pool's values still match.
    expect(planMatches(spec.template, request({ heap_size_gb: 1, launch_method: 'docker' }))).toBe(true);
    expect(planMatches(spec.template, request({ programming_language: 'python' }))).toBe(true);
    // The idle timeout and lifetime do not shape the worker: the create's own apply from the claim on.
    expect(planMatches(spec.template, request({ idle_timeout_seconds: 5, max_lifetime_seconds: 60 }))).toBe(
      true,
    );
  });

  it('a different heap, language, image, method, auth, JVM argument, variable or pull policy does not match', () => {
    const { spec, request } = setup({ defaults: { heap_size_gb: 1 }, warm_pool: { size: 1 } });
    for (const args of [
      { heap_size_gb: 2 },
      { programming_language: 'Groovy' },
      { docker_image: 'dh-mcp/worker-python:other' },
      { launch_method: 'python' },
      { auth_type: 'Anonymous' },
      { extra_jvm_args: ['-Dx=1'] },
      { environment_vars: { A: '1' } },
      { pull_policy: 'always' },
      { docker_memory_limit_gb: 3 },
    ] as Array<Partial<CreateArgs>>)
      expect(planMatches(spec.template, request(args)), JSON.stringify(args)).toBe(false);
  });

  it('a create that names its own PSK never matches, even the pool configuration’s token', () => {
    const { spec, request } = setup({
      defaults: { heap_size_gb: 1, auth_token: 'configured-token-1' },
      warm_pool: { size: 1 },
    });
    expect(spec.template.tokenSource).toBe('config');
    expect(planMatches(spec.template, request())).toBe(true);
    expect(planMatches(spec.template, request({ auth_token: 'configured-token-1' }))).toBe(false);
    expect(planMatches(spec.template, request({ auth_token: 'another-token-22' }))).toBe(false);
  });

  it('a token from an environment variable matches only while the variable holds the same token', () => {
    const c = { defaults: { heap_size_gb: 1, auth_token_env_var: 'POOL_PSK' }, warm_pool: { size: 1 } };
    const { spec } = setup(c, { POOL_PSK: 'first-token-123' });
    expect(planMatches(spec.template, setup(c, { POOL_PSK: 'first-token-123' }).request())).toBe(true);
    expect(planMatches(spec.template, setup(c, { POOL_PSK: 'rotated-token-9' }).request())).toBe(false);
  });

  it('pool overrides make a flavour of their own: only creates that ask for it match', () => {
    const { spec, request } = setup({
      defaults: { heap_size_gb: 4, programming_language: 'Python' },
      warm_pool: { size: 1, heap_size_gb: 1, programming_language: 'Groovy', launch_method: 'python' },
    });
    expect(spec.template).toMatchObject({ heapSizeGb: 1, language: 'groovy', method: 'python' });
    expect(planMatches(spec.template, request())).toBe(false);
    expect(
      planMatches(
        spec.template,
        request({ heap_size_gb: 1, programming_language: 'Groovy', launch_method: 'python' }),
      ),
    ).toBe(true);
  });

  it('start-up tuning and environment order do not matter; the other method’s settings do not either', () => {
    const { spec, request } = setup({
      defaults: { launch_method: 'python', heap_size_gb: 1 },
      warm_pool: {
        size: 1,
        startup_timeout_seconds: 600,
        pull_policy: 'always',
        environment_vars: { A: '1', B: '2' },
      },
    });
    expect(planMatches(spec.template, request({ environment_vars: { B: '2', A: '1' } }))).toBe(true);
    expect(planMatches(spec.template, request({ environment_vars: { B: '2', A: '2' } }))).toBe(false);
  });

  it('each pooled worker gets its own name and generated PSK', () => {
    const { spec } = setup({ defaults: { heap_size_gb: 1 }, warm_pool: { size: 2 } });
    const [a, b] = [spec.next(), spec.next()];
    expect(a.name).toMatch(/^warm-pool\.[0-9a-f]{12}$/);
    expect(a.name).not.toBe(b.name);
    expect(a.token).toMatch(/^[0-9a-f]{32}$/);
    expect(a.token).not.toBe(b.token);
  });

  it('no pool when its size is 0, it is absent, or creation is disabled', () => {
    const spec = (c: Record<string, unknown>) => poolSpec(SessionCreationSchema.parse(c), { env, machine });
    expect(spec({})).toBeUndefined();
    expect(spec({ warm_pool: { size: 0 } })).toBeUndefined();
    expect(spec({ max_concurrent_sessions: 0, warm_pool: { size: 0 } })).toBeUndefined();
  });

  it('a pool this machine cannot run is refused naming the pool field', () => {
    expect(() =>
      poolSpec(SessionCreationSchema.parse({ warm_pool: { size: 1, heap_size_gb: 64 } }), { env, machine }),
    ).toThrow(
      /community\.session_creation\.warm_pool\.heap_size_gb: 64 GB is more than this machine's memory/,
    );
    expect(() =>
      poolSpec(SessionCreationSchema.parse({ defaults: { heap_size_gb: 64 }, warm_pool: { size: 1 } }), {
        env,
        machine,
      }),
    ).toThrow(/community\.session_creation\.defaults\.heap_size_gb: 64 GB/);
  });
});
