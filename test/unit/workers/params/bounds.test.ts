import { describe, expect, it } from 'vitest';
import { SessionCreationSchema } from '../../../../src/config/schema.js';
import type { CreateArgs } from '../../../../src/workers/params/model.js';
import { resolveCreateRequest } from '../../../../src/workers/params/resolve.js';
import { DEFAULT_POLICY } from '../../../../src/workers/params/policy.js';
import { quote } from '../../../../src/util/quote.js';

const machine = { memoryGb: 8, cpus: 2 };
const MB = 'x'.repeat(1 << 20);

function refusal(args: Record<string, unknown>, defaults: Record<string, unknown> = {}): string {
  try {
    resolveCreateRequest(
      { session_name: 'w', ...args } as CreateArgs,
      SessionCreationSchema.parse({ defaults }),
      { env: {}, machine, policy: DEFAULT_POLICY },
    );
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('quote: errors never echo large inputs', () => {
  it('keeps short values whole and cuts long ones to a prefix with the length', () => {
    expect(quote('abc')).toBe("'abc'");
    expect(quote(MB)).toBe(`'${'x'.repeat(64)}…' (1048576 characters)`);
    expect(quote('a\u0000b')).toBe("'a\\u0000b'");
  });
});

// The seven cases of issue 12 that the parameter model answers before anything is reserved (case 3, a dead
// worker, and case 4, table_names, are tool-level and tested on a real worker).
describe('issue 12: every bad input answered at once and by name', () => {
  it('1: a relative host part (Docker would make a named volume) is refused with the reason', () => {
    expect(refusal({ docker_volumes: ['somename:/data'] })).toMatch(
      /^docker_volumes\[0\]: mounts the named volume 'somename' .*security\.community\.allowed_named_volumes/,
    );
    expect(refusal({ docker_volumes: ['some/dir:/data'] })).toMatch(
      /neither an absolute path nor a volume name/,
    );
  });

  it('2: a NUL byte or a 200,000-character value in environment_vars names the variable and the bound', () => {
    expect(refusal({ environment_vars: { A: 'a\u0000b' } })).toBe(
      'environment_vars.A: the value contains a NUL character; remove it',
    );
    expect(refusal({ environment_vars: { A: 'x'.repeat(200_000) } })).toBe(
      'environment_vars.A: the value is 200000 characters long; the limit is 32768',
    );
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`V${i}`, 'x']));
    expect(refusal({ environment_vars: many })).toMatch(
      /^environment_vars: has 65 variables; the limit is 64/,
    );
  });

  it('5: a 1 MB auth_token is refused by length, without echoing it', () => {
    const e = refusal({ auth_token: MB });
    expect(e).toBe(
      'auth_token: is 1048576 characters long; the limit is 512 (omit it to get a generated 128-bit token)',
    );
  });

  it('6: a 1 MB python_venv_path is refused in a short answer', () => {
    const e = refusal({ launch_method: 'python', python_venv_path: MB });
    expect(e).toBe('python_venv_path: the path is 1048576 characters long; the limit is 4096');
    for (const args of [
      { docker_image: MB },
      { docker_volumes: [MB] },
      { extra_jvm_args: [MB] },
      { environment_vars: { [MB]: 'x' } },
      { session_name: MB },
      { launch_method: MB },
      { auth_type: MB },
    ])
      expect(refusal(args).length).toBeLessThan(400);
  });

  it('7: numbers a machine cannot satisfy name the field and the bound', () => {
    expect(refusal({ heap_size_gb: 1e9 })).toBe('heap_size_gb: must be at most 1024 GB, got 1000000000');
    expect(refusal({ heap_size_gb: 9 })).toMatch(
      /^heap_size_gb: 9 GB is more than this machine's memory \(8 GB\)/,
    );
    expect(refusal({ docker_memory_limit_gb: 1e12 })).toMatch(
      /^docker_memory_limit_gb: must be at most 65536 GB/,
    );
    expect(refusal({ heap_size_gb: 1, docker_memory_limit_gb: 12 })).toMatch(
      /^docker_memory_limit_gb: 12 GB is more than this machine's memory \(8 GB\)/,
    );
    expect(refusal({ docker_cpu_limit: 1e6 })).toBe('docker_cpu_limit: must be at most 4096, got 1000000');
    expect(refusal({ docker_cpu_limit: 3 })).toBe(
      "docker_cpu_limit: 3 is more than this machine's 2 CPUs; choose at most 2",
    );
    expect(refusal({ heap_size_gb: 2, docker_memory_limit_gb: 1.5 })).toMatch(
      /^docker_memory_limit_gb: 1.5 GB is not above the JVM heap \(heap_size_gb 2 GB\)/,
    );
    // A config value the machine cannot satisfy is named by its config key.
    expect(refusal({}, { heap_size_gb: 20 })).toMatch(
      /^community\.session_creation\.defaults\.heap_size_gb: 20 GB is more than this machine's memory/,
    );
  });

  it('bounds lists, names and JVM arguments too', () => {
    expect(refusal({ extra_jvm_args: Array(65).fill('-Dx=1') })).toBe(
      'extra_jvm_args: has 65 arguments; the limit is 64',
    );
    expect(refusal({ docker_volumes: Array(33).fill('/tmp:/data') })).toBe(
      'docker_volumes: has 33 volumes; the limit is 32',
    );
    expect(refusal({ extra_jvm_args: ['-D' + 'x'.repeat(5000)] })).toBe(
      'extra_jvm_args[0]: the argument is 5002 characters long; the limit is 4096',
    );
    expect(refusal({ environment_vars: { ['V'.repeat(200)]: 'x' } })).toMatch(
      /^environment_vars\.'V+…' \(200 characters\): the name is 200 characters long; the limit is 128/,
    );
    expect(refusal({ docker_image: 'bad image' })).toBe(
      'docker_image: is not a Docker image reference (registry/name:tag, no spaces)',
    );
  });
});
