import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: two levels above this file, both from src/ (tests) and from dist/ (built). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The worker entry script shipped with the package (also copied into the worker images). */
export const WORKER_ENTRY_SCRIPT = path.join(PACKAGE_ROOT, 'launchers', 'dh_worker.py');

/** What the path helpers read from the machine; injected by unit tests. */
export interface PlatformInfo {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  homedir: string;
}

const here = (): PlatformInfo => ({ env: process.env, platform: process.platform, homedir: os.homedir() });

/**
 * The user's data directory for dh-mcp (instance records, started workers, the runtime `dh-mcp setup` builds):
 * $DH_MCP_DATA_DIR, else the platform's usual place: $XDG_DATA_HOME/dh-mcp (default ~/.local/share/dh-mcp) on
 * Linux and other Unixes, ~/Library/Application Support/dh-mcp on macOS, %LOCALAPPDATA%\dh-mcp on Windows.
 * Every server of one user shares it, so a server started after a crash finds what the dead one left behind.
 */
export function userDataDir(p: PlatformInfo = here()): string {
  const { env, platform, homedir } = p;
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  if (env.DH_MCP_DATA_DIR)
    return platform === 'win32' ? env.DH_MCP_DATA_DIR : path.resolve(env.DH_MCP_DATA_DIR);
  if (platform === 'win32')
    return join(env.LOCALAPPDATA || path.win32.join(homedir, 'AppData', 'Local'), 'dh-mcp');
  if (platform === 'darwin') return join(homedir, 'Library', 'Application Support', 'dh-mcp');
  return join(env.XDG_DATA_HOME || join(homedir, '.local', 'share'), 'dh-mcp');
}

/**
 * The user's cache directory for dh-mcp, the provisioning scripts' DH_MCP_CACHE (scripts/lib.sh): $DH_MCP_CACHE,
 * else $XDG_CACHE_HOME/dh-mcp (default ~/.cache/dh-mcp) on Linux and other Unixes, ~/Library/Caches/dh-mcp on
 * macOS, %LOCALAPPDATA%\dh-mcp\cache on Windows.
 */
export function userCacheDir(p: PlatformInfo = here()): string {
  const { env, platform, homedir } = p;
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  if (env.DH_MCP_CACHE) return platform === 'win32' ? env.DH_MCP_CACHE : path.resolve(env.DH_MCP_CACHE);
  if (platform === 'win32')
    return join(env.LOCALAPPDATA || path.win32.join(homedir, 'AppData', 'Local'), 'dh-mcp', 'cache');
  if (platform === 'darwin') return join(homedir, 'Library', 'Caches', 'dh-mcp');
  return join(env.XDG_CACHE_HOME || join(homedir, '.cache'), 'dh-mcp');
}

/**
 * Where venv workers look for a class-data sharing archive of their Deephaven install and JVM
 * (launchers/dh_cds.py names each by a key of both): the one `dh-mcp setup python` makes next to its runtime, in
 * the data directory, and the one the provisioning scripts make in the cache directory. None when the server
 * runs with DH_MCP_CDS=off.
 */
export function cdsArchiveDirs(p: PlatformInfo = here()): string[] {
  if (p.env.DH_MCP_CDS?.toLowerCase() === 'off') return [];
  const join = p.platform === 'win32' ? path.win32.join : path.posix.join;
  const delimiter = p.platform === 'win32' ? ';' : ':';
  // Directories the environment already names (the dh-mcp images bake an archive in) are searched too, last.
  const inherited = (p.env.DH_WORKER_CDS_DIR ?? '').split(delimiter).filter(Boolean);
  return [join(userDataDir(p), 'cds'), join(userCacheDir(p), 'cds'), ...inherited];
}

/** The venv `dh-mcp setup python` builds; named by the Deephaven version, so an upgrade builds a new one. */
export function runtimeVenv(p: PlatformInfo = here()): string {
  const join = p.platform === 'win32' ? path.win32.join : path.posix.join;
  return join(userDataDir(p), 'runtime', `deephaven-server-${pinnedDeephavenVersion()}`);
}

/** The development venv of a repository checkout (scripts/provision-python.sh). */
export const REPOSITORY_VENV = path.join(PACKAGE_ROOT, '.venv-deephaven');

/** The venv scripts/provision-python.sh builds and the tests use: DH_MCP_VENV, else the repository's. */
export function provisionedVenv(env: NodeJS.ProcessEnv = process.env): string {
  return env.DH_MCP_VENV ?? REPOSITORY_VENV;
}

export function venvPython(venv: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32'
    ? path.win32.join(venv, 'Scripts', 'python.exe')
    : path.join(venv, 'bin', 'python');
}

let cachedVersion: string | undefined;
/** The pinned Deephaven version (scripts/worker-requirements.txt): it names the default images' tags. */
export function pinnedDeephavenVersion(): string {
  if (cachedVersion) return cachedVersion;
  const file = path.join(PACKAGE_ROOT, 'scripts', 'worker-requirements.txt');
  const m = existsSync(file) ? /^deephaven-server==(\S+)$/m.exec(readFileSync(file, 'utf8')) : null;
  cachedVersion = m?.[1] ?? '42.7';
  return cachedVersion;
}

export type ImageLanguage = 'Python' | 'Groovy';

/** The registry of the official images; DH_MCP_IMAGE_REGISTRY points at a mirror instead. */
export const OFFICIAL_REGISTRY = 'ghcr.io';

/**
 * The Docker image a language runs when nothing names one: the official Deephaven image pinned to the tested
 * version (`ghcr.io/deephaven/server:<ver>` for Python, `server-slim` for Groovy). Overrides, for mirrors and
 * offline machines: DH_MCP_DEFAULT_IMAGE_PYTHON / DH_MCP_DEFAULT_IMAGE_GROOVY name an image outright;
 * DH_MCP_IMAGE_REGISTRY replaces `ghcr.io` (a mirror holding `deephaven/server` and `deephaven/server-slim`).
 */
export function defaultImage(language: ImageLanguage, env: NodeJS.ProcessEnv = process.env): string {
  const named = env[`DH_MCP_DEFAULT_IMAGE_${language.toUpperCase()}`];
  if (named) return named;
  const registry = (env.DH_MCP_IMAGE_REGISTRY || OFFICIAL_REGISTRY).replace(/\/+$/, '');
  const repo = language === 'Python' ? 'deephaven/server' : 'deephaven/server-slim';
  return `${registry}/${repo}:${pinnedDeephavenVersion()}`;
}

/** The offline dh-mcp worker image of a language (scripts/build-images.sh; no registry needed). */
export function offlineImage(language: ImageLanguage): string {
  return `dh-mcp/worker-${language.toLowerCase()}:${pinnedDeephavenVersion()}`;
}
