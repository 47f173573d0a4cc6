import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SessionCreationDefaultsSchema } from '../../../../src/config/schema.js';
import { createToolInput, creationDefaultsShape } from '../../../../src/workers/params/derive.js';
import { PARAMS, PARAM_NAMES } from '../../../../src/workers/params/model.js';
import { crossFieldProblems } from '../../../../src/workers/params/cross-field.js';

describe('one parameter model, derived schemas', () => {
  it("the tool schema has the reference's parameter names, each accepting null", () => {
    const input = z.object(createToolInput());
    expect(Object.keys(input.shape).sort()).toEqual(
      [
        'session_name',
        'launch_method',
        'programming_language',
        'auth_type',
        'auth_token',
        'heap_size_gb',
        'extra_jvm_args',
        'environment_vars',
        'docker_image',
        'docker_memory_limit_gb',
        'docker_cpu_limit',
        'docker_volumes',
        'pull_policy',
        'python_venv_path',
        'idle_timeout_seconds',
        'max_lifetime_seconds',
      ].sort(),
    );
    expect(
      input.safeParse({ session_name: 'w', heap_size_gb: null, auth_type: '', docker_volumes: null }).success,
    ).toBe(true);
  });

  it('publishes the bounds to clients as JSON Schema keywords', () => {
    const js = z.toJSONSchema(z.object(createToolInput()), { io: 'input' }) as {
      properties: Record<string, Record<string, unknown>>;
    };
    expect(js.properties.auth_token).toMatchObject({ minLength: 8, maxLength: 512 });
    expect(js.properties.heap_size_gb).toMatchObject({ minimum: 0.25, maximum: 1024 });
    expect(js.properties.docker_cpu_limit).toMatchObject({ minimum: 0.01 });
    expect(js.properties.extra_jvm_args).toMatchObject({ maxItems: 64, items: { maxLength: 4096 } });
    expect(js.properties.session_name).toMatchObject({ pattern: expect.any(String) });
    expect(js.properties.python_venv_path?.description).toMatch(/python only/);
  });

  it('the config defaults have the same keys plus the config-only ones, with the same bounds', () => {
    const configKeys = Object.keys(creationDefaultsShape()).sort();
    expect(configKeys).toEqual(PARAM_NAMES.filter((n) => PARAMS[n].config !== false).sort());
    expect(configKeys).toContain('startup_retries');
    expect(configKeys).not.toContain('session_name');
    expect(SessionCreationDefaultsSchema.safeParse({ auth_token: 'x'.repeat(513) }).success).toBe(false);
    expect(
      SessionCreationDefaultsSchema.safeParse({ heap_size_gb: 2, docker_memory_limit_gb: 1 }).success,
    ).toBe(false);
    expect(
      SessionCreationDefaultsSchema.safeParse({ auth_token: null, python_venv_path: null }).success,
    ).toBe(true);
  });

  it('every parameter says where it applies and has a library option but the server-only lifecycle limits; host-reaching ones are marked', () => {
    const hostReaching = PARAM_NAMES.filter((n) => PARAMS[n].hostReaching).sort();
    expect(hostReaching).toEqual(
      ['docker_image', 'docker_volumes', 'environment_vars', 'extra_jvm_args', 'python_venv_path'].sort(),
    );
    const serverOnly = PARAM_NAMES.filter((n) => !('option' in PARAMS[n]));
    expect(serverOnly).toEqual(['idle_timeout_seconds', 'max_lifetime_seconds']);
    for (const n of PARAM_NAMES)
      if (!serverOnly.includes(n))
        expect((PARAMS[n] as { option?: string }).option).toMatch(/^[a-z][A-Za-z]+$/);
    for (const n of serverOnly) expect('cli' in PARAMS[n]).toBe(false);
  });
});

describe('the cross-field validator (config load and request time)', () => {
  it('at config load: exclusive pairs, auth, memory above heap; method rules wait for a request', () => {
    const all = (v: Record<string, unknown>) =>
      crossFieldProblems({ values: v, explicit: new Set(Object.keys(v) as never[]) }).map((p) => p.field);
    expect(all({ docker_image: 'x', programming_language: 'Python' })).toEqual(['docker_image']);
    expect(all({ auth_token: 'abcdefgh', auth_token_env_var: 'T' })).toEqual(['auth_token_env_var']);
    expect(all({ auth_type: 'Anonymous', auth_token: 'abcdefgh' })).toEqual(['auth_token']);
    expect(all({ auth_type: 'Basic' })).toEqual(['auth_type']);
    expect(all({ heap_size_gb: 4, docker_memory_limit_gb: 4 })).toEqual(['docker_memory_limit_gb']);
    expect(all({ heap_size_gb: 4, docker_memory_limit_gb: 6 })).toEqual([]);
    // Defaults may hold values for both methods: the launch method picks at request time.
    expect(all({ launch_method: 'python', docker_image: 'x', python_venv_path: '/v' })).toEqual([]);
  });

  it('at request time: parameters of the other launch method, named as the caller gave them', () => {
    const p = crossFieldProblems({
      values: { docker_cpu_limit: 1, python_venv_path: '/v' },
      explicit: new Set(['docker_cpu_limit', 'python_venv_path'] as const),
      method: 'python',
    });
    expect(p).toEqual([
      {
        field: 'docker_cpu_limit',
        message: 'applies only to launch_method "docker", not "python"; remove it',
      },
    ]);
  });
});
