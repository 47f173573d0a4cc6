import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * Finds a JDK/JRE the embedded Deephaven server can load (jpy needs the JVM's shared library): JAVA_HOME, then
 * `java` on PATH (through symlinks), then the usual install folders of the platform. Version 17+ is required;
 * it is read from the JDK's `release` file, so nothing is executed. Pure: the machine comes in through `JavaProbe`.
 */
export interface JavaProbe {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  exists(p: string): boolean;
  readText(p: string): string | undefined;
  /** Names in a directory, [] when it cannot be read. */
  list(dir: string): string[];
  /** The target of a symlink chain, the path itself when it is none. */
  realpath(p: string): string;
}

export const MIN_JAVA_MAJOR = 17;

export interface JavaFound {
  home: string;
  /** Major version from the release file; undefined when the JDK has none. */
  major?: number;
  version?: string;
}

export interface JavaRejected {
  home: string;
  reason: string;
}

export interface JavaSearch {
  found?: JavaFound;
  rejected: JavaRejected[];
}

function libjvm(home: string, platform: NodeJS.Platform): string[] {
  if (platform === 'win32') return [path.join(home, 'bin', 'server', 'jvm.dll')];
  const ext = platform === 'darwin' ? 'dylib' : 'so';
  // Java 8 layouts keep it under jre/lib/<arch>/server; only 9+ matter here (17+ is required).
  return [path.join(home, 'lib', 'server', `libjvm.${ext}`)];
}

function releaseVersion(text: string | undefined): { major?: number; version?: string } {
  const m = text && /^JAVA_VERSION="?([^"\n]+)"?/m.exec(text);
  if (!m) return {};
  const version = m[1]!;
  const parts = version.split(/[.+_-]/);
  const major = Number(parts[0] === '1' ? parts[1] : parts[0]);
  return Number.isFinite(major) ? { major, version } : { version };
}

function candidates(p: JavaProbe): string[] {
  const out: string[] = [];
  if (p.env.JAVA_HOME) out.push(p.env.JAVA_HOME);
  const exe = p.platform === 'win32' ? 'java.exe' : 'java';
  const sep = p.platform === 'win32' ? ';' : ':';
  for (const dir of (p.env.PATH ?? '').split(sep).filter(Boolean)) {
    const java = path.join(dir, exe);
    if (!p.exists(java)) continue;
    // <home>/bin/java, or <home>/jre/bin/java
    const real = p.realpath(java);
    out.push(path.dirname(path.dirname(real)));
    break;
  }
  for (const root of jdkFolders(p)) {
    // Newest first by name, so java-21 beats java-17.
    for (const name of p.list(root).sort().reverse()) {
      out.push(p.platform === 'darwin' ? path.join(root, name, 'Contents', 'Home') : path.join(root, name));
    }
  }
  return [...new Set(out)];
}

/**
 * The folders holding JDKs, one JDK per entry: DH_MCP_JDK_DIRS (path-list separated; empty searches none),
 * else the platform's usual places.
 */
export function jdkFolders(p: Pick<JavaProbe, 'env' | 'platform'>): string[] {
  const sep = p.platform === 'win32' ? ';' : ':';
  if (p.env.DH_MCP_JDK_DIRS !== undefined) return p.env.DH_MCP_JDK_DIRS.split(sep).filter(Boolean);
  const home = p.env.HOME ?? p.env.USERPROFILE ?? '';
  const user = home ? [path.join(home, '.sdkman', 'candidates', 'java'), path.join(home, '.jdks')] : [];
  const programFiles = p.env.ProgramFiles ?? 'C:\\Program Files';
  if (p.platform === 'darwin')
    return [
      '/Library/Java/JavaVirtualMachines',
      path.join(home, 'Library/Java/JavaVirtualMachines'),
      ...user,
    ];
  if (p.platform === 'win32')
    return ['Eclipse Adoptium', 'Java', 'Microsoft', 'Zulu']
      .map((d) => path.join(programFiles, d))
      .concat(user);
  return ['/usr/lib/jvm', '/usr/java', '/opt/java', ...user];
}

export function findJava(p: JavaProbe): JavaSearch {
  const rejected: JavaRejected[] = [];
  for (const home of candidates(p)) {
    if (!libjvm(home, p.platform).some((f) => p.exists(f))) {
      if (home === p.env.JAVA_HOME)
        rejected.push({ home, reason: 'JAVA_HOME holds no JVM library (lib/server)' });
      continue;
    }
    const { major, version } = releaseVersion(p.readText(path.join(home, 'release')));
    if (major !== undefined && major < MIN_JAVA_MAJOR) {
      rejected.push({ home, reason: `Java ${version} is older than ${MIN_JAVA_MAJOR}` });
      continue;
    }
    return { found: { home, major, version }, rejected };
  }
  return { rejected };
}

/** findJava on this machine. */
export function findJavaHere(env: NodeJS.ProcessEnv = process.env): JavaSearch {
  return findJava({
    env,
    platform: process.platform,
    exists: (p) => existsSync(p),
    readText: (p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
    list: (d) => {
      try {
        return readdirSync(d);
      } catch {
        return [];
      }
    },
    realpath: (p) => {
      try {
        return realpathSync(p);
      } catch {
        return p;
      }
    },
  });
}
