import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normaliseImageRef, registryAuth, registryOf } from '../../../src/workers/image-pull.js';

describe('image references', () => {
  it.each([
    ['ubuntu', 'ubuntu:latest'],
    ['ghcr.io/deephaven/server', 'ghcr.io/deephaven/server:latest'],
    ['ghcr.io/deephaven/server:42.7', 'ghcr.io/deephaven/server:42.7'],
    ['127.0.0.1:5555/deephaven/server', '127.0.0.1:5555/deephaven/server:latest'],
    ['127.0.0.1:5555/deephaven/server:42.7', '127.0.0.1:5555/deephaven/server:42.7'],
    ['x/y@sha256:abc', 'x/y@sha256:abc'],
  ])('%s → %s', (ref, expected) => expect(normaliseImageRef(ref)).toBe(expected));

  it.each([
    ['ubuntu:22.04', 'docker.io'],
    ['deephaven/server:1', 'docker.io'],
    ['ghcr.io/deephaven/server:42.7', 'ghcr.io'],
    ['127.0.0.1:5555/deephaven/server:42.7', '127.0.0.1:5555'],
    ['localhost/x:1', 'localhost'],
  ])('registry of %s is %s', (ref, expected) => expect(registryOf(ref)).toBe(expected));
});

describe('registry credentials from the Docker config', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-mcp-docker-config-'));
  writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      auths: {
        'ghcr.io': { auth: Buffer.from('alice:s3cr:et').toString('base64') },
        'https://index.docker.io/v1/': { auth: Buffer.from('bob:pw').toString('base64') },
        'reg.example:5000': { identitytoken: 'tok' },
      },
      credsStore: 'desktop',
    }),
  );

  it('decodes auth (a password may hold colons)', () => {
    expect(registryAuth('ghcr.io/deephaven/server:42.7', dir)).toEqual({
      username: 'alice',
      password: 's3cr:et',
      serveraddress: 'ghcr.io',
    });
  });
  it('maps Docker Hub images to the index key', () => {
    expect(registryAuth('deephaven/x:1', dir)).toMatchObject({ username: 'bob', password: 'pw' });
  });
  it('passes identity tokens', () => {
    expect(registryAuth('reg.example:5000/a/b:1', dir)).toEqual({
      identitytoken: 'tok',
      serveraddress: 'reg.example:5000',
    });
  });
  it('has nothing for other registries or without a config', () => {
    expect(registryAuth('quay.io/a/b:1', dir)).toBeUndefined();
    expect(registryAuth('ghcr.io/a/b:1', path.join(dir, 'missing'))).toBeUndefined();
  });
});
