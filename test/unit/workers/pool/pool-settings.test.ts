import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../../../src/config/schema.js';
import { describeIssues } from '../../../../src/config/errors.js';

const problems = (session_creation: Record<string, unknown>): string[] => {
  const r = ConfigSchema.safeParse({ community: { session_creation } });
  return r.success ? [] : describeIssues(r.error);
};

describe('community.session_creation.warm_pool', () => {
  it('accepts a size and overrides of the creation parameters', () => {
    expect(problems({ warm_pool: { size: 2 } })).toEqual([]);
    expect(
      problems({
        defaults: { heap_size_gb: 4, docker_image: 'dh-mcp/worker-python:42.7' },
        warm_pool: { size: 1, heap_size_gb: 1, programming_language: 'Groovy', startup_timeout_seconds: 300 },
      }),
    ).toEqual([]);
  });

  it('refuses unknown keys, the PSK keys and bad sizes, naming the field', () => {
    expect(problems({ warm_pool: { size: 1, sise: 2 } })[0]).toMatch(
      /^community\.session_creation\.warm_pool: unknown key 'sise'; allowed keys: size, launch_method/,
    );
    expect(problems({ warm_pool: { size: 1, auth_token: 'abcdefgh12' } })[0]).toMatch(
      /^community\.session_creation\.warm_pool: unknown key 'auth_token'/,
    );
    // A session's life limits are the create's own, not the pool's.
    expect(problems({ warm_pool: { size: 1, idle_timeout_seconds: 60 } })[0]).toMatch(
      /^community\.session_creation\.warm_pool: unknown key 'idle_timeout_seconds'/,
    );
    expect(problems({ warm_pool: { size: 1.5 } })).toEqual([
      'community.session_creation.warm_pool.size: must be a whole number',
    ]);
    expect(problems({ max_concurrent_sessions: 20, warm_pool: { size: 17 } })).toEqual([
      'community.session_creation.warm_pool.size: must be at most 16',
    ]);
    expect(problems({ warm_pool: {} })[0]).toMatch(/^community\.session_creation\.warm_pool\.size: /);
  });

  it('checks each override with the parameter model’s bounds', () => {
    expect(problems({ warm_pool: { size: 1, heap_size_gb: 0.1 } })).toEqual([
      'community.session_creation.warm_pool.heap_size_gb: must be at least 0.25 GB, got 0.1; a Deephaven worker needs at least 256 MB',
    ]);
  });

  it('keeps the size within max_concurrent_sessions', () => {
    expect(problems({ max_concurrent_sessions: 1, warm_pool: { size: 2 } })).toEqual([
      'community.session_creation.warm_pool.size: 2 is more than max_concurrent_sessions (1): pooled workers take session slots; lower the size or raise the limit',
    ]);
    expect(problems({ max_concurrent_sessions: 0, warm_pool: { size: 0 } })).toEqual([]);
  });

  it('runs the cross-field rules on the merged parameters, naming where each value came from', () => {
    expect(
      problems({ defaults: { heap_size_gb: 4 }, warm_pool: { size: 1, docker_memory_limit_gb: 2 } }),
    ).toEqual([
      expect.stringMatching(
        /^community\.session_creation\.warm_pool\.docker_memory_limit_gb: 2 GB is not above the JVM heap \(community\.session_creation\.defaults\.heap_size_gb 4 GB\)/,
      ),
    ]);
    expect(
      problems({ defaults: { docker_memory_limit_gb: 3 }, warm_pool: { size: 1, heap_size_gb: 4 } }),
    ).toEqual([
      expect.stringMatching(
        /^community\.session_creation\.warm_pool: for pooled workers, community\.session_creation\.defaults\.docker_memory_limit_gb: 3 GB is not above the JVM heap \(community\.session_creation\.warm_pool\.heap_size_gb 4 GB\)/,
      ),
    ]);
    // Both members of an exclusive pair in the pool itself: refused there.
    expect(
      problems({
        warm_pool: { size: 1, programming_language: 'Groovy', docker_image: 'dh-mcp/worker-groovy:42.7' },
      }),
    ).toEqual([expect.stringMatching(/^community\.session_creation\.warm_pool\.docker_image: give either/)]);
    // A problem of the defaults alone is reported once, on the defaults.
    const own = problems({
      defaults: { heap_size_gb: 4, docker_memory_limit_gb: 2 },
      warm_pool: { size: 1 },
    });
    expect(own).toHaveLength(1);
    expect(own[0]).toMatch(/^community\.session_creation\.defaults\.docker_memory_limit_gb: /);
  });
});
