import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseLaunchMethod, type MachineFacts } from '../../../src/creation/detect-launch-method.js';
import { findJava, type JavaProbe } from '../../../src/setup/java.js';
import { choosePython, pythonCandidates, type PythonFacts } from '../../../src/setup/python.js';
import { pipProgress } from '../../../src/setup/python-runtime.js';
import {
  defaultImage,
  offlineImage,
  pinnedDeephavenVersion,
  runtimeVenv,
  userDataDir,
} from '../../../src/util/paths.js';

const V = pinnedDeephavenVersion();

describe('userDataDir and runtimeVenv', () => {
  it('follows each platform, DH_MCP_DATA_DIR first', () => {
    expect(userDataDir({ env: {}, platform: 'linux', homedir: '/home/u' })).toBe(
      '/home/u/.local/share/dh-mcp',
    );
    expect(userDataDir({ env: { XDG_DATA_HOME: '/x' }, platform: 'linux', homedir: '/home/u' })).toBe(
      '/x/dh-mcp',
    );
    expect(userDataDir({ env: {}, platform: 'darwin', homedir: '/Users/u' })).toBe(
      '/Users/u/Library/Application Support/dh-mcp',
    );
    expect(
      userDataDir({
        env: { LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' },
        platform: 'win32',
        homedir: 'C:\\Users\\u',
      }),
    ).toBe('C:\\Users\\u\\AppData\\Local\\dh-mcp');
    expect(
      userDataDir({ env: { DH_MCP_DATA_DIR: '/d', XDG_DATA_HOME: '/x' }, platform: 'linux', homedir: '/h' }),
    ).toBe('/d');
    expect(runtimeVenv({ env: { DH_MCP_DATA_DIR: '/d' }, platform: 'linux', homedir: '/h' })).toBe(
      `/d/runtime/deephaven-server-${V}`,
    );
  });
});

describe('defaultImage', () => {
  it('the official image of the language pinned to the tested version; a mirror or a named image overrides it', () => {
    expect(defaultImage('Python', {})).toBe(`ghcr.io/deephaven/server:${V}`);
    expect(defaultImage('Groovy', {})).toBe(`ghcr.io/deephaven/server-slim:${V}`);
    expect(defaultImage('Groovy', { DH_MCP_IMAGE_REGISTRY: '127.0.0.1:5555/' })).toBe(
      `127.0.0.1:5555/deephaven/server-slim:${V}`,
    );
    expect(
      defaultImage('Python', { DH_MCP_DEFAULT_IMAGE_PYTHON: 'me/dh:1', DH_MCP_IMAGE_REGISTRY: 'm' }),
    ).toBe('me/dh:1');
    expect(offlineImage('Groovy')).toBe(`dh-mcp/worker-groovy:${V}`);
  });
});

function jdk(
  files: Record<string, string>,
  env: NodeJS.ProcessEnv,
  links: Record<string, string> = {},
): JavaProbe {
  return {
    env,
    platform: 'linux',
    exists: (p) => p in files,
    readText: (p) => files[p],
    list: (d) => [
      ...new Set(
        Object.keys(files)
          .filter((f) => f.startsWith(`${d}/`))
          .map((f) => f.slice(d.length + 1).split('/')[0]!),
      ),
    ],
    realpath: (p) => links[p] ?? p,
  };
}
const home = (h: string, version: string): Record<string, string> => ({
  [path.join(h, 'lib', 'server', 'libjvm.so')]: '',
  [path.join(h, 'release')]: `IMPLEMENTOR="x"\nJAVA_VERSION="${version}"\n`,
});

describe('findJava', () => {
  it('JAVA_HOME, then java on PATH through its symlinks, then the JDK folders', () => {
    const files = {
      ...home('/opt/jdk21', '21.0.2'),
      ...home('/usr/lib/jvm/java-17', '17.0.9'),
      '/usr/bin/java': '',
    };
    expect(findJava(jdk(files, { JAVA_HOME: '/opt/jdk21', PATH: '/usr/bin' })).found).toMatchObject({
      home: '/opt/jdk21',
      major: 21,
    });
    const viaPath = jdk(files, { PATH: '/usr/bin' }, { '/usr/bin/java': '/opt/jdk21/bin/java' });
    expect(findJava(viaPath).found?.home).toBe('/opt/jdk21');
    expect(findJava(jdk(files, { PATH: '/nowhere' })).found?.home).toBe('/usr/lib/jvm/java-17');
  });

  it('refuses a JDK older than 17 and a JAVA_HOME without a JVM, saying why', () => {
    const files = { ...home('/usr/lib/jvm/java-11', '11.0.2'), '/bad/bin/java': '' };
    const r = findJava(jdk(files, { JAVA_HOME: '/bad', PATH: '' }));
    expect(r.found).toBeUndefined();
    expect(r.rejected).toEqual([
      { home: '/bad', reason: 'JAVA_HOME holds no JVM library (lib/server)' },
      { home: '/usr/lib/jvm/java-11', reason: 'Java 11.0.2 is older than 17' },
    ]);
  });

  it('DH_MCP_JDK_DIRS replaces the folders searched (empty: none)', () => {
    const files = { ...home('/usr/lib/jvm/java-17', '17.0.9'), ...home('/tools/jdks/temurin-21', '21') };
    expect(findJava(jdk(files, { DH_MCP_JDK_DIRS: '' })).found).toBeUndefined();
    expect(findJava(jdk(files, { DH_MCP_JDK_DIRS: '/tools/jdks' })).found?.home).toBe(
      '/tools/jdks/temurin-21',
    );
  });
});

const py = (over: Partial<PythonFacts>): PythonFacts => ({
  executable: '/usr/bin/python3.11',
  version: '3.11.2',
  major: 3,
  minor: 11,
  implementation: 'cpython',
  shared: true,
  venv: true,
  ...over,
});

describe('choosePython', () => {
  it('takes the first usable interpreter and says why each earlier one was passed over', () => {
    const r = choosePython([
      { command: 'python3.13' },
      {
        command: 'python3.12',
        facts: py({ version: '3.12.1', minor: 12, shared: false, executable: '/p/3.12' }),
      },
      { command: 'python3.11', facts: py({ venv: false }) },
      { command: 'python3', facts: py({ version: '3.8.10', minor: 8, executable: '/usr/bin/python3' }) },
      { command: 'python3.10', facts: py({ version: '3.10.4', minor: 10, executable: '/ok' }) },
    ]);
    expect(r.chosen?.executable).toBe('/ok');
    expect(r.rejected).toEqual([
      'python3.12 (/p/3.12): Python 3.12.1 has no shared libpython (jpy needs one)',
      'python3.11 (/usr/bin/python3.11): Python 3.11.2 lacks the venv module (Debian/Ubuntu: sudo apt-get install python3.11-venv)',
      'python3 (/usr/bin/python3): Python 3.8.10 is older than 3.10',
    ]);
  });

  it('a --python that is too old is refused, and nothing else is tried', () => {
    expect(pythonCandidates('linux', '/my/python')).toEqual([['/my/python']]);
    expect(pythonCandidates('linux')[0]).toEqual(['python3.13']);
    expect(choosePython([{ command: '/my/python', facts: py({ version: '3.8.1', minor: 8 }) }])).toEqual({
      rejected: ['/my/python (/usr/bin/python3.11): Python 3.8.1 is older than 3.10'],
    });
    expect(
      choosePython([{ command: '/p', facts: py({ executable: '/p', version: '3.9.0', minor: 9 }) }]),
    ).toEqual({
      rejected: ['/p: Python 3.9.0 is older than 3.10'],
    });
  });
});

describe('pipProgress', () => {
  it('keeps the lines that say where pip is, shortened', () => {
    expect(pipProgress('Collecting deephaven-server==42.7')).toBe('pip: collecting deephaven-server==42.7');
    expect(pipProgress('  Downloading deephaven_server-42.7-py3-none-any.whl (251.3 MB)')).toBe(
      'pip: downloading deephaven_server-42.7-py3-none-any.whl (251.3 MB)',
    );
    expect(pipProgress('Requirement already satisfied: x')).toBeUndefined();
  });
});

describe('chooseLaunchMethod (the embedded default)', () => {
  const facts = (o: Partial<MachineFacts>): MachineFacts => ({
    engine: '/var/run/docker.sock (Docker Engine socket)',
    engineAnswers: false,
    image: 'ghcr.io/deephaven/server:42.7',
    imagePresent: false,
    venv: '/d/runtime/deephaven-server-42.7',
    pythonReady: false,
    ...o,
  });
  it('docker with the image present, then a ready Python runtime, then docker with a pull, then python', () => {
    expect(
      chooseLaunchMethod(facts({ engineAnswers: true, imagePresent: true, pythonReady: true })).method,
    ).toBe('docker');
    const py = chooseLaunchMethod(facts({ engineAnswers: true, pythonReady: true }));
    expect(py).toMatchObject({ method: 'python' });
    expect(py.reason).toMatch(/preferred over pulling ghcr\.io\/deephaven\/server:42\.7/);
    expect(chooseLaunchMethod(facts({ engineAnswers: true })).reason).toMatch(/pulled on first use/);
    const none = chooseLaunchMethod(facts({}));
    expect(none.method).toBe('python');
    expect(none.reason).toMatch(/run: npx dh-mcp setup/);
  });
});
