// The Python reference (deephaven-mcp) for side-by-side benchmarks: installed once into a bench venv under the
// cache dir (pip install deephaven-mcp==<version>), and the command that runs its systems server over stdio.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { userCacheDir, venvPython } from '../../dist/util/paths.js';

export const REFERENCE_VERSION = '1.1.4';
// The one cache dir the server and the provisioning scripts use (DH_MCP_CACHE, else the platform's own).
export const benchVenv = path.join(userCacheDir(), 'bench-venv');
export const benchPython = venvPython(benchVenv);

/** Installs deephaven-mcp==REFERENCE_VERSION into the bench venv unless it is there. */
export function ensureReference() {
  const installed = () => {
    try {
      return (
        execFileSync(
          benchPython,
          ['-c', 'import importlib.metadata as m; print(m.version("deephaven-mcp"))'],
          {
            encoding: 'utf8',
          },
        ).trim() === REFERENCE_VERSION
      );
    } catch {
      return false;
    }
  };
  if (installed()) return;
  console.error(`installing deephaven-mcp==${REFERENCE_VERSION} into ${benchVenv} ...`);
  if (!existsSync(benchPython)) execFileSync('python3', ['-m', 'venv', benchVenv], { stdio: 'inherit' });
  execFileSync(benchPython, ['-m', 'pip', 'install', '-q', `deephaven-mcp==${REFERENCE_VERSION}`], {
    stdio: 'inherit',
  });
}

/** [command, args] running the reference's systems server over stdio; `prelude` is Python run before it. */
export function referenceCommand(prelude = '') {
  return [
    benchPython,
    [
      '-c',
      `${prelude}import sys\nfrom deephaven_mcp.mcp_systems_server.main import main\nsys.argv = ["dh-mcp-systems-server"]\nmain()`,
    ],
  ];
}
