import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { REPOSITORY_VENV, pinnedDeephavenVersion, runtimeVenv, venvPython } from '../util/paths.js';

/**
 * The Python runtime `dh-mcp setup python` builds: a venv holding the pinned deephaven-server in the user's data
 * directory. Built next to its final place and renamed into it, with a stamp written last: a venv without a
 * valid stamp is never trusted (an interrupted setup leaves at most a temp folder that the next run removes).
 */

export const STAMP_FILE = '.dh-mcp-setup.json';

export interface RuntimeStamp {
  deephaven_version: string;
  python: string;
  python_version: string;
  created_at: string;
}

export function readStamp(venv: string): RuntimeStamp | undefined {
  try {
    const s = JSON.parse(readFileSync(path.join(venv, STAMP_FILE), 'utf8')) as Partial<RuntimeStamp>;
    if (typeof s.deephaven_version !== 'string' || typeof s.python !== 'string') return undefined;
    return s as RuntimeStamp;
  } catch {
    return undefined;
  }
}

/** The stamp says this venv was completed for the pinned version, and its interpreter is still there. */
export function runtimeReady(venv: string = runtimeVenv()): boolean {
  const s = readStamp(venv);
  return s?.deephaven_version === pinnedDeephavenVersion() && existsSync(venvPython(venv));
}

export type VenvSource = 'DH_MCP_VENV' | 'dh-mcp setup' | 'repository checkout' | 'VIRTUAL_ENV' | 'none';

/**
 * The venv a python launch uses when neither the tool call nor the config names one:
 *   1. $DH_MCP_VENV (development, operators);
 *   2. the runtime `dh-mcp setup python` completed in the user's data directory;
 *   3. the repository checkout's .venv-deephaven (scripts/provision-python.sh);
 *   4. $VIRTUAL_ENV, the venv the server itself runs in;
 *   5. otherwise the setup runtime's path, so the error says exactly which command creates it.
 */
export function defaultPythonVenv(env: NodeJS.ProcessEnv = process.env): {
  venv: string;
  source: VenvSource;
} {
  if (env.DH_MCP_VENV) return { venv: env.DH_MCP_VENV, source: 'DH_MCP_VENV' };
  const runtime = runtimeVenv({ env, platform: process.platform, homedir: os.homedir() });
  if (runtimeReady(runtime)) return { venv: runtime, source: 'dh-mcp setup' };
  if (existsSync(venvPython(REPOSITORY_VENV)))
    return { venv: REPOSITORY_VENV, source: 'repository checkout' };
  if (env.VIRTUAL_ENV) return { venv: env.VIRTUAL_ENV, source: 'VIRTUAL_ENV' };
  return { venv: runtime, source: 'none' };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes what earlier, interrupted setups left next to the target (their process is gone). */
export function removeLeftovers(target: string): string[] {
  const dir = path.dirname(target);
  const base = path.basename(target);
  const removed: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const n of names) {
    const m = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(tmp|old)-(\\d+)$`).exec(n);
    if (!m || pidAlive(Number(m[2]))) continue;
    const p = path.join(dir, n);
    try {
      if (statSync(p).isDirectory()) {
        rmSync(p, { recursive: true, force: true });
        removed.push(p);
      }
    } catch {
      /* another setup got there first */
    }
  }
  return removed;
}

export interface BuildOptions {
  /** The interpreter that creates the venv. */
  python: string;
  target: string;
  deephavenVersion: string;
  /** Extra pip --find-links (a local wheel folder); PIP_* variables of the environment apply as usual. */
  findLinks: string[];
  env: NodeJS.ProcessEnv;
  onProgress(message: string): void;
  signal?: AbortSignal;
}

/** A line of pip's output worth showing, shortened. */
export function pipProgress(line: string): string | undefined {
  const l = line.trim();
  const m =
    /^(Collecting|Downloading|Processing|Using cached|Installing collected packages:|Successfully installed)\s*(.*)$/.exec(
      l,
    );
  if (!m) return undefined;
  const rest = m[2]!.length > 90 ? `${m[2]!.slice(0, 87)}...` : m[2]!;
  return `pip: ${m[1]!.replace(/:$/, '').toLowerCase()} ${rest}`.trim();
}

async function rewritePaths(venv: string, from: string, to: string): Promise<void> {
  // Console scripts (bin/pip, bin/deephaven) carry the build folder in their shebang: point them at the final place.
  const bin = path.join(venv, 'bin');
  for (const name of await readdir(bin).catch(() => [] as string[])) {
    const f = path.join(bin, name);
    try {
      if (!statSync(f).isFile() || statSync(f).size > 1_000_000) continue;
      const text = await readFile(f, 'utf8');
      if (text.includes(from)) await writeFile(f, text.split(from).join(to));
    } catch {
      /* binaries and unreadable files keep their bytes */
    }
  }
  const cfg = path.join(venv, 'pyvenv.cfg');
  const text = await readFile(cfg, 'utf8').catch(() => undefined);
  if (text?.includes(from)) await writeFile(cfg, text.split(from).join(to));
}

/** Builds the venv into a temp folder next to the target, then renames it into place and stamps it. */
export async function buildPythonRuntime(o: BuildOptions): Promise<RuntimeStamp> {
  await mkdir(path.dirname(o.target), { recursive: true });
  removeLeftovers(o.target);
  const tmp = `${o.target}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  const run = (file: string, args: string[], onLine?: (l: string) => void) => {
    const child = execa(file, args, {
      env: o.env,
      extendEnv: false,
      stdin: 'ignore',
      all: true,
      reject: false,
      cancelSignal: o.signal,
      forceKillAfterDelay: 3000,
    });
    let tail: string[] = [];
    child.all?.setEncoding('utf8');
    let partial = '';
    child.all?.on('data', (d: string) => {
      const lines = (partial + d).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const l of lines) {
        tail = [...tail.slice(-19), l];
        onLine?.(l);
      }
    });
    return child.then((r) => {
      if (o.signal?.aborted)
        throw o.signal.reason instanceof Error ? o.signal.reason : new Error('cancelled');
      if (r.exitCode !== 0)
        throw new Error(
          `${path.basename(file)} ${args.slice(0, 3).join(' ')} failed (exit ${String(r.exitCode)}):\n${[...tail, partial].join('\n').trim()}`,
        );
    });
  };
  try {
    o.onProgress(`creating a venv with ${o.python}`);
    await run(o.python, ['-m', 'venv', tmp]);
    const py = venvPython(tmp);
    const spec = `deephaven-server==${o.deephavenVersion}`;
    o.onProgress(`pip: installing ${spec} (about 300 MB the first time)`);
    await run(
      py,
      [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--no-input',
        '--progress-bar',
        'off',
        ...o.findLinks.flatMap((f) => ['--find-links', f]),
        spec,
      ],
      (l) => {
        const msg = pipProgress(l);
        if (msg) o.onProgress(msg);
      },
    );
    o.onProgress('checking the venv imports deephaven_server');
    await run(py, ['-c', 'import deephaven_server']);
    const version = (
      await execa(py, ['-c', 'import sys; print(sys.version.split()[0])'], { env: o.env, extendEnv: false })
    ).stdout.trim();
    await rewritePaths(tmp, tmp, o.target);
    // Swap in: the old venv (if any, never trusted or outdated) is moved aside first, then removed.
    const old = `${o.target}.old-${process.pid}`;
    if (existsSync(o.target)) await rename(o.target, old);
    await rename(tmp, o.target);
    await rm(old, { recursive: true, force: true });
    const stamp: RuntimeStamp = {
      deephaven_version: o.deephavenVersion,
      python: o.python,
      python_version: version,
      created_at: new Date().toISOString(),
    };
    // The stamp is the last thing written, atomically: only a complete runtime ever has one.
    const stampTmp = path.join(o.target, `${STAMP_FILE}.tmp`);
    writeFileSync(stampTmp, `${JSON.stringify(stamp, null, 2)}\n`);
    renameSync(stampTmp, path.join(o.target, STAMP_FILE));
    return stamp;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** True when the venv's interpreter imports the server (the base interpreter may have been removed since). */
export async function runtimeImports(venv: string): Promise<boolean> {
  const r = await execa(venvPython(venv), ['-c', 'import deephaven_server'], {
    reject: false,
    stdin: 'ignore',
    timeout: 60_000,
  });
  return r.exitCode === 0;
}
