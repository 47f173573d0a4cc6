import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ANONYMOUS_HANDLER,
  BASIC_HANDLER,
  PSK_HANDLER,
  authTypeLabel,
  loginType,
  normaliseAuthType,
} from '../../../src/config/auth-type.js';
import { formatPath } from '../../../src/config/errors.js';
import { locateConfig, readConfigFile } from '../../../src/config/load.js';
import { REDACTED, redactConfig } from '../../../src/config/redact.js';
import { resolveToken } from '../../../src/config/tokens.js';
import { SessionConfigurationError } from '../../../src/util/errors.js';

describe('auth_type normalisation', () => {
  it.each([
    ['PSK', 'PSK'],
    ['psk', 'PSK'],
    [PSK_HANDLER, 'PSK'],
    ['Anonymous', 'ANONYMOUS'],
    ['ANONYMOUS', 'ANONYMOUS'],
    [ANONYMOUS_HANDLER, 'ANONYMOUS'],
    ['basic', 'BASIC'],
    [BASIC_HANDLER, 'BASIC'],
  ])('%s is %s', (raw, want) => {
    expect(normaliseAuthType(raw, 'f')).toBe(want);
  });

  it('keeps a custom handler class name verbatim', () => {
    const a = normaliseAuthType('com.example.auth.MyHandler', 'f');
    expect(a).toEqual({ custom: 'com.example.auth.MyHandler' });
    expect(authTypeLabel(a)).toBe('com.example.auth.MyHandler');
    expect(loginType(a)).toBe('com.example.auth.MyHandler');
  });

  it.each([
    [' PSK', /f: ' PSK' has leading or trailing whitespace; remove it/],
    [PSK_HANDLER.toLowerCase(), /looks like the PSK handler with the wrong case; use "PSK"/],
    [ANONYMOUS_HANDLER.toUpperCase(), /looks like the anonymous handler with the wrong case/],
    ['token', /f: 'token' is not a known auth type; use "PSK", "Anonymous", "Basic" or a handler class name/],
    ['', /is not a known auth type/],
    ['com..Bad', /is not a known auth type/],
  ])('refuses %j, saying how to fix it', (raw, message) => {
    expect(() => normaliseAuthType(raw, 'f')).toThrow(message);
  });

  it('logs in with the type each auth type needs', () => {
    expect([loginType('PSK'), loginType('ANONYMOUS'), loginType('BASIC')]).toEqual([
      PSK_HANDLER,
      'Anonymous',
      'Basic',
    ]);
  });
});

describe('token resolution', () => {
  const where = 'community.sessions.a';

  it('reads the named variable at the time of use', () => {
    const env: NodeJS.ProcessEnv = { T: 'one' };
    const spec = { auth_token_env_var: 'T' };
    expect(resolveToken(spec, where, env)).toBe('one');
    env.T = 'two';
    expect(resolveToken(spec, where, env)).toBe('two');
  });

  it('the variable wins over a literal token', () => {
    expect(resolveToken({ auth_token: 'literal', auth_token_env_var: 'T' }, where, { T: 'env' })).toBe('env');
  });

  it.each([
    ['unset', {}],
    ['empty', { T: '' }],
  ])('a named but %s variable is a configuration error naming the variable and the key', (_, env) => {
    expect(() => resolveToken({ auth_token_env_var: 'T' }, where, env)).toThrow(SessionConfigurationError);
    expect(() => resolveToken({ auth_token_env_var: 'T' }, where, env)).toThrow(
      "environment variable 'T' named by community.sessions.a.auth_token_env_var is not set; export it before starting the server",
    );
  });

  it('a literal token, or none', () => {
    expect(resolveToken({ auth_token: 'x' }, where, {})).toBe('x');
    expect(resolveToken({ auth_token: null }, where, {})).toBeUndefined();
    expect(resolveToken({}, where, {})).toBeUndefined();
  });
});

describe('redaction', () => {
  it('replaces every secret, at any depth and inside arrays, and leaves the input untouched', () => {
    const config = {
      community: {
        sessions: { a: { host: 'h', auth_token: 's1', auth_token_env_var: 'NAME_IS_NOT_SECRET' } },
      },
      enterprise: { systems: { e: { auth: [{ password: 's2' }, { private_key: 's3' }] } } },
    };
    const copy = JSON.parse(JSON.stringify(config)) as typeof config;
    const r = redactConfig(config);
    expect(JSON.stringify(r)).not.toMatch(/s1|s2|s3/);
    expect(r.community.sessions.a).toEqual({
      host: 'h',
      auth_token: REDACTED,
      auth_token_env_var: 'NAME_IS_NOT_SECRET',
    });
    expect(r.enterprise.systems.e.auth).toEqual([{ password: REDACTED }, { private_key: REDACTED }]);
    expect(config).toEqual(copy);
  });

  it('keeps an absent secret absent (null stays null, so the output does not claim a secret is set)', () => {
    expect(redactConfig({ a: { auth_token: null } })).toEqual({ a: { auth_token: null } });
  });
});

describe('key paths in messages', () => {
  it.each([
    [[], '(top level)'],
    [['community', 'sessions', 'local', 'port'], 'community.sessions.local.port'],
    [
      ['security', 'community', 'script_path_allowed_dirs', 2],
      'security.community.script_path_allowed_dirs[2]',
    ],
    [[0, 'a'], '[0].a'],
  ] as const)('%j is %s', (p, want) => {
    expect(formatPath(p)).toBe(want);
  });
});

describe('reading and locating the file', () => {
  it('a directory instead of a file says so', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-'));
    await expect(readConfigFile(dir)).rejects.toThrow(
      `cannot read configuration file ${dir}: it is a directory`,
    );
  });

  it('a missing file found by the working directory does not blame DH_MCP_CONFIG_FILE', async () => {
    await expect(readConfigFile('/nonexistent/deephaven_mcp.json')).rejects.toThrow(
      /^cannot read configuration file \/nonexistent\/deephaven_mcp\.json: file not found$/,
    );
  });

  it('a blank DH_MCP_CONFIG_FILE counts as unset', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-'));
    expect(await locateConfig({ DH_MCP_CONFIG_FILE: '  ' }, dir)).toEqual({ kind: 'embedded' });
  });

  it('DH_MCP_CONFIG_FILE wins over ./deephaven_mcp.json, and a relative one is resolved against the working directory', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-'));
    await writeFile(path.join(dir, 'deephaven_mcp.json'), '{}');
    expect(await locateConfig({ DH_MCP_CONFIG_FILE: 'sub/other.json' }, dir)).toEqual({
      kind: 'file',
      path: path.join(dir, 'sub', 'other.json'),
      fromEnv: true,
    });
  });

  it('a top-level value that is not an object is refused with the file named', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cfg-'));
    const f = path.join(dir, 'c.json');
    await writeFile(f, '[1, 2]');
    await expect(readConfigFile(f)).rejects.toThrow(
      `configuration in ${f} must be a JSON object at the top level`,
    );
  });
});
