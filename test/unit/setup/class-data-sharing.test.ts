import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CDS_SCRIPT } from '../../../src/setup/cds.js';
import { cdsArchiveDirs, userCacheDir } from '../../../src/util/paths.js';

// The pure parts of launchers/dh_cds.py (key, lookup, classpath order, JVM arguments), run with a plain python3:
// nothing here needs deephaven-server or a JVM.
function py(code: string): unknown {
  const out = execFileSync(
    'python3',
    [
      '-c',
      `import sys, json; sys.path.insert(0, ${JSON.stringify(path.dirname(CDS_SCRIPT))})\nimport dh_cds\n${code}`,
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-cds-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the archive key', () => {
  const key = (jvm: string, release: string, version: string, jars: string[]) =>
    py(
      `print(json.dumps(dh_cds.archive_key(${JSON.stringify(jvm)}, ${JSON.stringify(release)}, ${JSON.stringify(version)}, ${JSON.stringify(jars)})))`,
    ) as string;
  const base = [
    '/j/lib/server/libjvm.so 100 1',
    'JAVA_VERSION="17.0.15"',
    '42.7',
    ['/v/a.jar 10 5', '/v/b.jar 20 6'],
  ] as const;
  const k0 = key(base[0], base[1], base[2], [...base[3]]);

  it('is stable for the same JVM, Deephaven version and jars', () => {
    expect(k0).toMatch(/^[0-9a-f]{24}$/);
    expect(key(base[0], base[1], base[2], [...base[3]])).toBe(k0);
  });

  it('changes with the JVM build, its release file, the Deephaven version, any jar, and the jar order', () => {
    const others = [
      key('/j/lib/server/libjvm.so 101 1', base[1], base[2], [...base[3]]),
      key(base[0], 'JAVA_VERSION="21.0.1"', base[2], [...base[3]]),
      key(base[0], base[1], '42.8', [...base[3]]),
      key(base[0], base[1], base[2], ['/v/a.jar 10 7', '/v/b.jar 20 6']),
      key(base[0], base[1], base[2], ['/w/a.jar 10 5', '/v/b.jar 20 6']),
      key(base[0], base[1], base[2], ['/v/a.jar 10 5']),
      key(base[0], base[1], base[2], ['/v/b.jar 20 6', '/v/a.jar 10 5']),
    ];
    expect(new Set([k0, ...others]).size).toBe(others.length + 1);
  });
});

describe('classpath order, lookup and JVM arguments', () => {
  it('sorts the classpath, whatever order the directory lists it in', () => {
    expect(py(`print(json.dumps(dh_cds.sorted_jars(['/j/z.jar', '/j/a.jar', '/j/m.jar'])))`)).toEqual([
      '/j/a.jar',
      '/j/m.jar',
      '/j/z.jar',
    ]);
  });

  it('finds <key>.jsa in the first directory that has it; nothing without a key or a file', () => {
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'b');
    for (const d of [a, b]) execFileSync('mkdir', ['-p', d]);
    writeFileSync(path.join(b, 'k1.jsa'), 'x');
    writeFileSync(path.join(a, 'k2.jsa'), 'x');
    writeFileSync(path.join(b, 'k2.jsa'), 'x');
    const dirs = [a, path.join(tmp, 'missing'), b].join(path.delimiter);
    const find = (k: string | null) =>
      py(
        `print(json.dumps(dh_cds.find_archive(${JSON.stringify(dirs)}, ${k === null ? 'None' : JSON.stringify(k)})))`,
      );
    expect(find('k1')).toBe(path.join(b, 'k1.jsa'));
    expect(find('k2')).toBe(path.join(a, 'k2.jsa'));
    expect(find('k3')).toBeNull();
    expect(find(null)).toBeNull();
  });

  it('names the archive first with -Xshare:auto (a later -Xshare:off or another archive wins), nothing without one', () => {
    expect(py(`print(json.dumps(dh_cds.jvm_args_for('/c/k.jsa')))`)).toEqual([
      '-XX:SharedArchiveFile=/c/k.jsa',
      '-Xshare:auto',
    ]);
    expect(py(`print(json.dumps(dh_cds.jvm_args_for(None)))`)).toEqual([]);
  });
});

describe('where venv workers look for archives', () => {
  it('the data directory (dh-mcp setup python) first, then the cache directory (provisioning); none when off', () => {
    const p = { env: { DH_MCP_DATA_DIR: '/d' }, platform: 'linux' as const, homedir: '/home/u' };
    expect(cdsArchiveDirs(p)).toEqual(['/d/cds', '/home/u/.cache/dh-mcp/cds']);
    expect(cdsArchiveDirs({ ...p, env: { ...p.env, DH_MCP_CACHE: '/c' } })).toEqual(['/d/cds', '/c/cds']);
    expect(cdsArchiveDirs({ ...p, env: { ...p.env, DH_MCP_CDS: 'OFF' } })).toEqual([]);
    expect(cdsArchiveDirs({ ...p, env: { ...p.env, DH_WORKER_CDS_DIR: '/opt/a:/opt/b' } })).toEqual([
      '/d/cds',
      '/home/u/.cache/dh-mcp/cds',
      '/opt/a',
      '/opt/b',
    ]);
    expect(
      cdsArchiveDirs({ ...p, env: { ...p.env, DH_MCP_CDS: 'off', DH_WORKER_CDS_DIR: '/opt/a' } }),
    ).toEqual([]);
  });

  it('the cache directory follows each platform', () => {
    expect(userCacheDir({ env: { XDG_CACHE_HOME: '/x' }, platform: 'linux', homedir: '/h' })).toBe(
      '/x/dh-mcp',
    );
    expect(userCacheDir({ env: {}, platform: 'darwin', homedir: '/Users/u' })).toBe(
      '/Users/u/Library/Caches/dh-mcp',
    );
    expect(userCacheDir({ env: { LOCALAPPDATA: 'C:\\L' }, platform: 'win32', homedir: 'C:\\Users\\u' })).toBe(
      'C:\\L\\dh-mcp\\cache',
    );
  });
});
