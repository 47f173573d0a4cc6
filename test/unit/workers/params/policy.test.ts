import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecuritySchema, SessionCreationSchema } from '../../../../src/config/schema.js';
import type { CreateArgs } from '../../../../src/workers/params/model.js';
import {
  DEFAULT_POLICY,
  exposesEngineSocket,
  isCodeLoadingEnvVar,
  jvmArgRisk,
  type CommunityPolicy,
} from '../../../../src/workers/params/policy.js';
import { resolveCreateRequest } from '../../../../src/workers/params/resolve.js';

const machine = { memoryGb: 64, cpus: 8 };
const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-policy-'));
const data = path.join(tmp, 'data');
mkdirSync(data);

function plan(
  args: Record<string, unknown>,
  opts: { defaults?: Record<string, unknown>; policy?: Partial<CommunityPolicy> | null } = {},
) {
  const policy = opts.policy === null ? undefined : { ...DEFAULT_POLICY, ...(opts.policy ?? {}) };
  return resolveCreateRequest(
    { session_name: 'w', ...args } as CreateArgs,
    SessionCreationSchema.parse({ defaults: opts.defaults ?? {} }),
    { env: {}, machine, policy },
  );
}

describe('defaults refuse host-reaching values from a tool call, naming the key that allows them', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a host path', { docker_volumes: [`${data}:/data`] }, /security\.community\.allowed_volume_host_dirs/],
    ['the root', { docker_volumes: ['/:/host'] }, /container engine socket/],
    ['a named volume', { docker_volumes: ['cache:/data'] }, /security\.community\.allowed_named_volumes/],
    [
      'LD_PRELOAD',
      { environment_vars: { LD_PRELOAD: '/x.so' } },
      /security\.community\.allowed_environment_vars/,
    ],
    ['JAVA_TOOL_OPTIONS', { environment_vars: { JAVA_TOOL_OPTIONS: '-Dx' } }, /allowed_environment_vars/],
    ['START_OPTS', { environment_vars: { START_OPTS: '-Dx' } }, /allowed_environment_vars/],
    ['a lower-case PYTHONPATH', { environment_vars: { pythonpath: '/x' } }, /allowed_environment_vars/],
    [
      '-XX:OnOutOfMemoryError',
      { extra_jvm_args: ['-XX:OnOutOfMemoryError=kill -9 %p'] },
      /runs a command.*allowed_jvm_arg_prefixes/,
    ],
    ['-javaagent', { extra_jvm_args: ['-javaagent:/tmp/a.jar'] }, /loads an agent/],
    ['-agentpath', { extra_jvm_args: ['-agentpath:/tmp/a.so'] }, /loads an agent/],
    ['-Xbootclasspath', { extra_jvm_args: ['-Xbootclasspath/a:/tmp'] }, /boot class path/],
    ['a heap dump path', { extra_jvm_args: ['-XX:+HeapDumpOnOutOfMemoryError'] }, /writes files/],
    ['a log file', { extra_jvm_args: ['-Xlog:gc:/tmp/gc.log'] }, /writes logs/],
    [
      'the auth handlers',
      { extra_jvm_args: ['-DAuthHandlers=io.deephaven.auth.AnonymousAuthenticationHandler'] },
      /authentication/,
    ],
    [
      'an unknown image',
      { docker_image: 'docker.io/someone/miner:1' },
      /security\.community\.allowed_docker_images/,
    ],
    [
      'a venv path',
      { launch_method: 'python', python_venv_path: tmp },
      /security\.community\.allowed_python_venv_dirs/,
    ],
  ])('%s', (_what, args, message) => {
    expect(() => plan(args)).toThrow(message);
  });

  it('harmless values pass: plain JVM flags, ordinary variables, the official images', () => {
    expect(
      plan({
        extra_jvm_args: ['-Xss2m', '-XX:+UseG1GC', '-Dmy.prop=1', '-Xlog:gc:stdout'],
        environment_vars: { TZ: 'UTC', MY_SETTING: 'x' },
        docker_image: 'ghcr.io/deephaven/server:0.37.0',
      }).extraJvmArgs,
    ).toHaveLength(4);
  });
});

describe('the config file is the operator: its values are never checked against the policy', () => {
  it('volumes, variables, JVM arguments, image and venv from defaults pass', () => {
    const p = plan(
      {},
      {
        defaults: {
          docker_volumes: ['/:/host', 'cache:/cache'],
          environment_vars: { LD_PRELOAD: '/x.so' },
          extra_jvm_args: ['-javaagent:/opt/a.jar'],
          docker_image: 'registry.example/custom:1',
        },
      },
    );
    expect(p.docker.volumes).toEqual(['/:/host', 'cache:/cache']);
    expect(p.environment).toEqual({ LD_PRELOAD: '/x.so' });
    // A tool call may repeat the operator's own image or venv: it changes nothing.
    expect(
      plan(
        { docker_image: 'registry.example/custom:1' },
        { defaults: { docker_image: 'registry.example/custom:1' } },
      ).docker.image,
    ).toBe('registry.example/custom:1');
    expect(
      plan({ launch_method: 'python', python_venv_path: tmp }, { defaults: { python_venv_path: tmp } }).python
        .venvPath,
    ).toBe(tmp);
  });

  it("the library and the CLI (no policy) take the person's values as given", () => {
    expect(plan({ environment_vars: { LD_PRELOAD: '/x.so' } }, { policy: null }).environment).toEqual({
      LD_PRELOAD: '/x.so',
    });
  });
});

describe('security.community keys allow what the operator chose', () => {
  it('host directories, and everything below them', () => {
    const p = plan(
      { docker_volumes: [`${data}:/data:ro`, `${data}/new/sub:/new`] },
      { policy: { allowed_volume_host_dirs: [tmp] } },
    );
    expect(p.docker.volumes).toHaveLength(2);
    expect(() =>
      plan({ docker_volumes: [`${tmp}-other:/x`] }, { policy: { allowed_volume_host_dirs: [tmp] } }),
    ).toThrow(/not under a directory/);
  });

  it('never the engine socket, even inside an allowed directory or through a link', () => {
    const sock = path.join(tmp, 'docker.sock');
    writeFileSync(sock, '');
    const link = path.join(tmp, 'innocent');
    symlinkSync(sock, link);
    const allowed = { allowed_volume_host_dirs: [tmp] };
    expect(() => plan({ docker_volumes: [`${sock}:/var/run/docker.sock`] }, { policy: allowed })).toThrow(
      /engine socket/,
    );
    expect(() => plan({ docker_volumes: [`${link}:/x`] }, { policy: allowed })).toThrow(/engine socket/);
    expect(exposesEngineSocket('/var/run', {})).toBe(true);
    expect(exposesEngineSocket('/run', {})).toBe(true);
    expect(exposesEngineSocket('/home/me/project', { DOCKER_HOST: 'unix:///home/me/project/d.sock' })).toBe(
      true,
    );
    expect(exposesEngineSocket(data, {})).toBe(false);
  });

  it('named volumes, variables, JVM prefixes, images, venv directories', () => {
    expect(
      plan({ docker_volumes: ['cache:/data'] }, { policy: { allowed_named_volumes: ['cache'] } }).docker
        .volumes,
    ).toEqual(['cache:/data']);
    expect(
      plan(
        { environment_vars: { PYTHONPATH: '/x' } },
        { policy: { allowed_environment_vars: ['PYTHONPATH'] } },
      ).environment,
    ).toEqual({ PYTHONPATH: '/x' });
    expect(() =>
      plan(
        { environment_vars: { LD_PRELOAD: '/x' } },
        { policy: { allowed_environment_vars: ['PYTHONPATH'] } },
      ),
    ).toThrow(/LD_PRELOAD/);
    expect(
      plan(
        { extra_jvm_args: ['-javaagent:/opt/agents/a.jar'] },
        { policy: { allowed_jvm_arg_prefixes: ['-javaagent:/opt/agents/'] } },
      ).extraJvmArgs,
    ).toHaveLength(1);
    expect(() =>
      plan(
        { extra_jvm_args: ['-javaagent:/tmp/a.jar'] },
        { policy: { allowed_jvm_arg_prefixes: ['-javaagent:/opt/agents/'] } },
      ),
    ).toThrow(/loads an agent/);
    expect(
      plan({ docker_image: 'my.registry/dh:1' }, { policy: { allowed_docker_images: ['my.registry/'] } })
        .docker.image,
    ).toBe('my.registry/dh:1');
    expect(
      plan({ docker_image: 'anything:1' }, { policy: { allowed_docker_images: ['*'] } }).docker.image,
    ).toBe('anything:1');
    expect(
      plan(
        { launch_method: 'python', python_venv_path: path.join(tmp, 'venv') },
        { policy: { allowed_python_venv_dirs: [tmp] } },
      ).python.venvPath,
    ).toBe(path.join(tmp, 'venv'));
  });

  it('the config schema accepts the keys with these defaults', () => {
    const s = SecuritySchema.parse({ community: {} });
    expect(s.community).toMatchObject({
      allowed_volume_host_dirs: [],
      allowed_named_volumes: [],
      allowed_environment_vars: [],
      allowed_jvm_arg_prefixes: [],
      allowed_docker_images: ['ghcr.io/deephaven/', 'dh-mcp/worker-'],
      allowed_python_venv_dirs: [],
    });
    expect(() => SecuritySchema.parse({ community: { allowed_volume_host_dirs: ['relative'] } })).toThrow(
      /absolute/,
    );
  });
});

describe('the lists', () => {
  it('code-loading variables by name and prefix', () => {
    for (const v of [
      'LD_PRELOAD',
      'LD_AUDIT',
      'LD_ANYTHING',
      'DYLD_INSERT_LIBRARIES',
      'JAVA_OPTS',
      'EXTRA_CLASSPATH',
      'CLASSPATH',
      'PYTHONSTARTUP',
      'PYTHONHOME',
      'PATH',
      '_JAVA_OPTIONS',
      'JDK_JAVA_OPTIONS',
    ])
      expect(isCodeLoadingEnvVar(v), v).toBe(true);
    for (const v of ['TZ', 'LANG', 'MY_PATH_SETTING', 'HOME']) expect(isCodeLoadingEnvVar(v), v).toBe(false);
  });

  it('JVM arguments', () => {
    for (const a of [
      '-XX:OnError=sh',
      '-agentlib:jdwp=transport=dt_socket',
      '-Djava.security.manager=allow',
      '-XX:HeapDumpPath=/x',
      '-XX:ErrorFile=/x',
      '-XX:StartFlightRecording=filename=/x',
      '-Xloggc:/x',
      '-cp',
      '-Djava.system.class.loader=X',
      '-Dhttp.host=0.0.0.0',
    ])
      expect(jvmArgRisk(a), a).toBeDefined();
    for (const a of [
      '-Xss1m',
      '-XX:+UseG1GC',
      '-XX:MaxMetaspaceSize=1g',
      '-Dfoo=bar',
      '-Xlog:gc',
      '-Xlog:gc:stderr',
    ])
      expect(jvmArgRisk(a), a).toBeUndefined();
  });
});
