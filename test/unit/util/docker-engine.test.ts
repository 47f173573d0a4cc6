import { createHash } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { locateDockerEngine, parseDockerHost, type EngineProbe } from '../../../src/util/docker-engine.js';

const HOME = '/home/u';

/** A machine with the given files (path → text; sockets are files with empty text). */
function machine(
  files: Record<string, string>,
  env: NodeJS.ProcessEnv = {},
  platform: NodeJS.Platform = 'linux',
): EngineProbe {
  return {
    env,
    platform,
    homedir: HOME,
    exists: (p) => p in files,
    readText: (p) => files[p],
  };
}

function contextFiles(
  name: string,
  host: string,
  configDir = path.join(HOME, '.docker'),
): Record<string, string> {
  const id = createHash('sha256').update(name).digest('hex');
  return {
    [path.join(configDir, 'config.json')]: JSON.stringify({ auths: {}, currentContext: name }),
    [path.join(configDir, 'contexts', 'meta', id, 'meta.json')]: JSON.stringify({
      Name: name,
      Metadata: {},
      Endpoints: { docker: { Host: host, SkipTLSVerify: false } },
    }),
  };
}

describe('parseDockerHost', () => {
  it('unix, npipe, tcp, tls and ssh addresses', () => {
    expect(parseDockerHost('unix:///run/user/1000/docker.sock')).toEqual({
      socketPath: '/run/user/1000/docker.sock',
    });
    expect(parseDockerHost('npipe:////./pipe/docker_engine')).toEqual({
      socketPath: '//./pipe/docker_engine',
    });
    expect(parseDockerHost('tcp://10.0.0.5:2375')).toMatchObject({
      protocol: 'http',
      host: '10.0.0.5',
      port: 2375,
    });
    expect(parseDockerHost('tcp://h:2376', { verify: false, certDir: '/c' })).toMatchObject({
      protocol: 'https',
      port: 2376,
      tlsDir: '/c',
    });
    expect(parseDockerHost('tcp://h:2375', { verify: true, certDir: '/c' })).toMatchObject({
      protocol: 'https',
    });
    expect(parseDockerHost('ssh://me@box:2222')).toEqual({
      protocol: 'ssh',
      host: 'box',
      port: 2222,
      username: 'me',
    });
    expect(parseDockerHost('localhost:2375')).toMatchObject({
      protocol: 'http',
      host: 'localhost',
      port: 2375,
    });
  });

  it('refuses what is not a Docker address, naming the forms that are', () => {
    expect(() => parseDockerHost('ftp://x')).toThrow(/unsupported scheme 'ftp:'/);
    expect(() => parseDockerHost('tcp://[bad')).toThrow(/unix:\/\/\/path\/docker\.sock/);
  });
});

describe('locateDockerEngine', () => {
  it('DOCKER_HOST wins over a context and over sockets that exist', () => {
    const m = machine(
      { ...contextFiles('colima', 'unix:///x/colima.sock'), '/var/run/docker.sock': '' },
      { DOCKER_HOST: 'unix:///tmp/mine.sock' },
    );
    expect(locateDockerEngine(m)).toMatchObject({
      source: 'DOCKER_HOST',
      options: { socketPath: '/tmp/mine.sock' },
    });
  });

  it('DOCKER_HOST tcp with DOCKER_TLS_VERIFY takes its certificates from DOCKER_CERT_PATH', () => {
    const m = machine(
      {},
      { DOCKER_HOST: 'tcp://h:2375', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
    );
    expect(locateDockerEngine(m).options).toEqual({
      protocol: 'https',
      host: 'h',
      port: 2375,
      tlsDir: '/certs',
    });
  });

  it('the current docker context of ~/.docker/config.json, found by the sha256 of its name', () => {
    const m = machine({
      ...contextFiles('colima', 'unix:///home/u/.colima/default/docker.sock'),
      '/var/run/docker.sock': '',
    });
    expect(locateDockerEngine(m)).toMatchObject({
      source: "docker context 'colima'",
      options: { socketPath: '/home/u/.colima/default/docker.sock' },
    });
  });

  it('DOCKER_CONTEXT and DOCKER_CONFIG choose the context and where it is stored', () => {
    const files = contextFiles('remote', 'tcp://build:2375', '/etc/dockercfg');
    const m = machine(files, { DOCKER_CONTEXT: 'remote', DOCKER_CONFIG: '/etc/dockercfg' });
    expect(locateDockerEngine(m)).toMatchObject({
      source: "docker context 'remote'",
      options: { protocol: 'http', host: 'build', port: 2375 },
    });
  });

  it('a context with TLS material connects over https with that material', () => {
    const id = createHash('sha256').update('secure').digest('hex');
    const tls = path.join(HOME, '.docker', 'contexts', 'tls', id, 'docker');
    const m = machine({ ...contextFiles('secure', 'tcp://h:2375'), [path.join(tls, 'ca.pem')]: 'x' });
    expect(locateDockerEngine(m).options).toEqual({ protocol: 'https', host: 'h', port: 2375, tlsDir: tls });
  });

  it('the "default" context and an unreadable context fall back to the usual sockets, with a note for the latter', () => {
    expect(
      locateDockerEngine(machine({ ...contextFiles('default', 'unix:///nope'), '/var/run/docker.sock': '' })),
    ).toMatchObject({ options: { socketPath: '/var/run/docker.sock' }, notes: [] });
    const broken = machine({
      [path.join(HOME, '.docker', 'config.json')]: JSON.stringify({ currentContext: 'gone' }),
      '/var/run/docker.sock': '',
    });
    const r = locateDockerEngine(broken);
    expect(r.options).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(r.notes.join()).toMatch(/docker context 'gone' has no readable docker endpoint/);
  });

  it.each([
    ['Docker Desktop', '/home/u/.docker/run/docker.sock', {}],
    ['rootless Docker', '/run/user/1000/docker.sock', { XDG_RUNTIME_DIR: '/run/user/1000' }],
    ['colima', '/home/u/.colima/default/docker.sock', {}],
    ['podman', '/run/user/1000/podman/podman.sock', { XDG_RUNTIME_DIR: '/run/user/1000' }],
  ] as const)('Linux: finds the %s socket when it is the only one', (what, socket, env) => {
    const r = locateDockerEngine(machine({ [socket]: '' }, env));
    expect(r).toMatchObject({ options: { socketPath: socket }, source: `${what} socket` });
  });

  it('Linux prefers the system socket; macOS prefers Docker Desktop in the home directory', () => {
    const both = { '/var/run/docker.sock': '', '/home/u/.docker/run/docker.sock': '' };
    expect(locateDockerEngine(machine(both)).address).toBe('/var/run/docker.sock');
    expect(locateDockerEngine(machine(both, {}, 'darwin')).address).toBe('/home/u/.docker/run/docker.sock');
  });

  it('Windows uses the Docker Desktop named pipe; nothing found names the platform default', () => {
    expect(locateDockerEngine(machine({}, {}, 'win32'))).toMatchObject({
      options: { socketPath: '//./pipe/docker_engine' },
    });
    const none = locateDockerEngine(machine({}));
    expect(none).toMatchObject({ options: { socketPath: '/var/run/docker.sock' } });
    expect(none.source).toMatch(/not found/);
  });
});
