import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SessionCreationSchema } from '../../../../src/config/schema.js';
import {
  applyOptions,
  argsFromOptions,
  cliOptionTable,
  cliUsageLines,
  configOnlyOptions,
  optionsFromCli,
} from '../../../../src/workers/params/options.js';

describe('library options and CLI flags come from the parameter model', () => {
  it('library options map onto the tool argument names', () => {
    expect(
      argsFromOptions('w', {
        launchMethod: 'python',
        heapSizeGb: 2,
        environment: { A: 'b' },
        dockerVolumes: ['/a:/b'],
        startupTimeoutSeconds: 30,
      }),
    ).toEqual({
      session_name: 'w',
      launch_method: 'python',
      heap_size_gb: 2,
      environment_vars: { A: 'b' },
      docker_volumes: ['/a:/b'],
    });
    expect(configOnlyOptions({ startupTimeoutSeconds: 30, authTokenEnvVar: 'T', heapSizeGb: 1 })).toEqual({
      startup_timeout_seconds: 30,
      auth_token_env_var: 'T',
    });
  });

  it('the CLI table parses repeatable flags and KEY=value pairs into the same options', () => {
    const { values } = parseArgs({
      args: [
        '--heap',
        '1.5',
        '--jvm-arg=-Xss1m',
        '--jvm-arg=-Da=1',
        '--env',
        'A=x=y',
        '--launch-method',
        'docker',
      ],
      options: cliOptionTable(),
    });
    expect(optionsFromCli(values)).toEqual({
      heapSizeGb: 1.5,
      extraJvmArgs: ['-Xss1m', '-Da=1'],
      environment: { A: 'x=y' },
      launchMethod: 'docker',
    });
    expect(() => optionsFromCli({ heap: 'lots' })).toThrow("--heap expects a number, got 'lots'");
    expect(() => optionsFromCli({ env: ['NOEQUALS'] })).toThrow("--env expects KEY=value, got 'NOEQUALS'");
  });

  it('the usage text lists every flag once', () => {
    const lines = cliUsageLines();
    for (const flag of [
      '--name',
      '--heap',
      '--jvm-arg',
      '--env',
      '--image',
      '--volume',
      '--venv',
      '--startup-timeout',
    ])
      expect(lines.filter((l) => l.includes(`${flag} `))).toHaveLength(1);
  });

  it('config-only options override the defaults after the same checks', () => {
    const creation = SessionCreationSchema.parse({
      defaults: { auth_token: 'literal-token', startup_retries: 1 },
    });
    const { args, creation: c } = applyOptions(
      'w',
      { startupTimeoutSeconds: 30, authTokenEnvVar: 'MY_PSK' },
      creation,
    );
    expect(args).toEqual({ session_name: 'w' });
    expect(c.defaults).toMatchObject({
      startup_timeout_seconds: 30,
      auth_token_env_var: 'MY_PSK',
      startup_retries: 1,
    });
    expect(c.defaults.auth_token).toBeUndefined();
    expect(() => applyOptions('w', { startupTimeoutSeconds: 0 }, creation)).toThrow(
      'startupTimeoutSeconds: must be greater than 0 s, got 0',
    );
  });
});
