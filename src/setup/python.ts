import { execa } from 'execa';

/**
 * Finds a Python the embedded Deephaven server can use: CPython 3.10+ with a shared libpython (jpy loads it into
 * the JVM) and the venv module. `--python` names one outright; otherwise python3.13 … python3.10, then python3
 * (on Windows: the `py` launcher's versions, then python). The choice is a pure function of probe results.
 */

export const MIN_PYTHON: readonly [number, number] = [3, 10];

/** What a candidate interpreter says about itself (PROBE_SCRIPT's output). */
export interface PythonFacts {
  executable: string;
  version: string;
  major: number;
  minor: number;
  implementation: string;
  /** A shared libpython is built and installed (or the platform always has one: Windows DLL, macOS framework). */
  shared: boolean;
  /** The libpython file it names, when that is known. */
  library?: string;
  venv: boolean;
}

export type PythonProbeResult = { command: string; facts?: PythonFacts; error?: string };

export const PROBE_SCRIPT = `
import json, os, sys, sysconfig
cv = sysconfig.get_config_var
lib = ''
shared = False
if sys.platform == 'win32':
    shared = True
elif cv('PYTHONFRAMEWORK'):
    shared = True
elif cv('Py_ENABLE_SHARED'):
    so = cv('INSTSONAME') or cv('LDLIBRARY') or ''
    for d in (cv('LIBDIR') or '', cv('LIBPL') or ''):
        if so and d and os.path.exists(os.path.join(d, so)):
            lib = os.path.join(d, so)
            shared = True
            break
try:
    import venv, ensurepip
    has_venv = True
except Exception:
    has_venv = False
print(json.dumps({'executable': sys.executable, 'version': sys.version.split()[0], 'major': sys.version_info[0],
  'minor': sys.version_info[1], 'implementation': sys.implementation.name, 'shared': shared, 'library': lib,
  'venv': has_venv}))
`;

/** The interpreters to try, in order. */
export function pythonCandidates(platform: NodeJS.Platform, explicit?: string): string[][] {
  if (explicit) return [[explicit]];
  if (platform === 'win32')
    return [...['3.13', '3.12', '3.11', '3.10'].map((v) => ['py', `-${v}`]), ['python']];
  return [['python3.13'], ['python3.12'], ['python3.11'], ['python3.10'], ['python3']];
}

/** Why an interpreter cannot serve, or undefined when it can. */
export function unusableBecause(f: PythonFacts): string | undefined {
  if (f.implementation !== 'cpython') return `${f.implementation} is not CPython`;
  if (f.major < MIN_PYTHON[0] || (f.major === MIN_PYTHON[0] && f.minor < MIN_PYTHON[1]))
    return `Python ${f.version} is older than ${MIN_PYTHON.join('.')}`;
  if (!f.shared) return `Python ${f.version} has no shared libpython (jpy needs one)`;
  if (!f.venv)
    return `Python ${f.version} lacks the venv module (Debian/Ubuntu: sudo apt-get install python3.${f.minor}-venv)`;
  return undefined;
}

export interface PythonChoice {
  chosen?: PythonFacts;
  /** Every candidate looked at and why it was passed over (for the error message). */
  rejected: string[];
}

export function choosePython(results: PythonProbeResult[]): PythonChoice {
  const rejected: string[] = [];
  for (const r of results) {
    if (!r.facts) {
      if (r.error) rejected.push(`${r.command}: ${r.error}`);
      continue;
    }
    const why = unusableBecause(r.facts);
    if (!why) return { chosen: r.facts, rejected };
    const where = r.facts.executable === r.command ? r.command : `${r.command} (${r.facts.executable})`;
    rejected.push(`${where}: ${why}`);
  }
  return { rejected };
}

/** Runs the probe in one interpreter; never throws. */
export async function probePython(command: string[]): Promise<PythonProbeResult> {
  const shown = command.join(' ');
  try {
    const r = await execa(command[0]!, [...command.slice(1), '-c', PROBE_SCRIPT], {
      timeout: 15_000,
      reject: false,
      stdin: 'ignore',
    });
    if (r.failed || r.exitCode !== 0) {
      // Not installed (ENOENT), or a version-manager shim with no such version behind it (127).
      const missing = (r as { code?: string }).code === 'ENOENT' || r.exitCode === 127;
      return { command: shown, error: missing ? undefined : `does not run (exit ${String(r.exitCode)})` };
    }
    const line = String(r.stdout).trim().split('\n').pop() ?? '';
    return { command: shown, facts: JSON.parse(line) as PythonFacts };
  } catch (e) {
    return { command: shown, error: `does not answer the probe (${(e as Error).message.split('\n')[0]})` };
  }
}

/** Probes the candidates in order and stops at the first usable one. */
export async function findPython(platform: NodeJS.Platform, explicit?: string): Promise<PythonChoice> {
  const results: PythonProbeResult[] = [];
  for (const c of pythonCandidates(platform, explicit)) {
    const r = await probePython(c);
    results.push(r);
    if (r.facts && !unusableBecause(r.facts)) break;
  }
  if (explicit && !results[0]?.facts && !results[0]?.error)
    results[0] = { command: explicit, error: 'not found' };
  return choosePython(results);
}
