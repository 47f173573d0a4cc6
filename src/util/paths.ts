import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: two levels above this file, both from src/ (tests) and from dist/ (built). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The worker entry script shipped with the package (also copied into the worker images). */
export const WORKER_ENTRY_SCRIPT = path.join(PACKAGE_ROOT, 'launchers', 'dh_worker.py');

/** The venv scripts/provision-python.sh builds; DH_MCP_VENV moves it, as it does for the script. */
export function provisionedVenv(): string {
  return process.env.DH_MCP_VENV ?? path.join(PACKAGE_ROOT, '.venv-deephaven');
}

export function venvPython(venv: string): string {
  return path.join(venv, 'bin', 'python');
}

let cachedVersion: string | undefined;
/** The pinned Deephaven version (scripts/worker-requirements.txt): it names the worker image tags. */
export function pinnedDeephavenVersion(): string {
  if (cachedVersion) return cachedVersion;
  const file = path.join(PACKAGE_ROOT, 'scripts', 'worker-requirements.txt');
  const m = existsSync(file) ? /^deephaven-server==(\S+)$/m.exec(readFileSync(file, 'utf8')) : null;
  cachedVersion = m?.[1] ?? '42.7';
  return cachedVersion;
}

export function defaultImage(language: 'Python' | 'Groovy'): string {
  return `dh-mcp/worker-${language.toLowerCase()}:${pinnedDeephavenVersion()}`;
}
