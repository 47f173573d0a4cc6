import os from 'node:os';
import { parseArgs } from 'node:util';
import { createDockerClient, dockerAnswers, dockerEngine, imageExists } from '../workers/docker-client.js';
import { ensureImage } from '../workers/image-pull.js';
import { detectLaunchMethod } from '../creation/detect-launch-method.js';
import { InvalidRequestError, errorMessage } from '../util/errors.js';
import { cdsArchiveDirs, defaultImage, pinnedDeephavenVersion, runtimeVenv } from '../util/paths.js';
import { buildCdsArchive } from './cds.js';
import {
  SETUP_DOCKER_COMMAND,
  SETUP_PYTHON_COMMAND,
  dockerStartHint,
  javaInstallHint,
  pythonInstallHint,
} from './hints.js';
import { findJavaHere } from './java.js';
import { findPython } from './python.js';
import {
  buildPythonRuntime,
  readStamp,
  removeLeftovers,
  runtimeImports,
  runtimeReady,
} from './python-runtime.js';

export const SETUP_USAGE = `dh-mcp setup [python|docker] [options]: prepare the runtime Deephaven workers need (idempotent)

  dh-mcp setup            both: the Python runtime, and the default image when a Docker engine answers
  dh-mcp setup python     a venv with deephaven-server ${pinnedDeephavenVersion()} in the data directory
                          (${runtimeVenv()}), built with a Python 3.10+ that has a shared libpython,
                          and a check for a JDK 17+ (JAVA_HOME, java on PATH, the usual JDK folders)
  dh-mcp setup docker     pull the default image (${defaultImage('Python')})

options:
  --python <path>         the interpreter that builds the venv (default: python3.13 ... python3.10, python3)
  --find-links <dir|url>  extra pip --find-links (repeatable); PIP_* environment variables apply as usual
  --image <image>         the image 'setup docker' pulls (default above)
  --force                 rebuild the venv / pull the image even when ready
  --no-cds                skip the class-data sharing archive 'setup python' makes for faster worker boots
  --json                  print the outcome as JSON on stdout (progress stays on stderr)

environment: DH_MCP_DATA_DIR (data directory), DH_MCP_IMAGE_REGISTRY (mirror of ghcr.io),
DH_MCP_DEFAULT_IMAGE_PYTHON / _GROOVY (default images), DOCKER_HOST / docker context (the engine)
`;

const OPTIONS = {
  python: { type: 'string' },
  'find-links': { type: 'string', multiple: true },
  image: { type: 'string' },
  force: { type: 'boolean' },
  'no-cds': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type StepStatus = 'ready' | 'already-ready' | 'failed' | 'skipped';

export interface StepResult {
  step: 'python' | 'docker';
  status: StepStatus;
  seconds: number;
  /** What a failed or skipped step needs, with the command or install that fixes it. */
  error?: string;
  [detail: string]: unknown;
}

export interface SetupIo {
  progress(message: string): void;
  /** Ends the live progress line (before a result line). */
  settle(): void;
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
}

class StepFailure extends Error {}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.round(n / 1024)} kB`;
}

/**
 * The class-data sharing archive of the runtime (faster worker boots). Only ever a speed-up: a failure is
 * reported with the step's result and does not fail it (workers start without an archive).
 */
async function cdsStep(
  venv: string,
  javaHome: string | undefined,
  skip: boolean,
  io: SetupIo,
): Promise<{ cds_archive?: string; cds_error?: string }> {
  const dir = cdsArchiveDirs({ env: io.env, platform: process.platform, homedir: os.homedir() })[0];
  if (skip || !javaHome || !dir) return {};
  // The builder takes its lock with fcntl (POSIX only).
  if (process.platform === 'win32')
    return { cds_error: 'not made on Windows (workers start without it, only slower)' };
  try {
    const archive = await buildCdsArchive({
      venv,
      javaHome,
      dir,
      env: io.env,
      onProgress: (m) => io.progress(`python: class-data sharing: ${m}`),
      signal: io.signal,
    });
    return { cds_archive: archive };
  } catch (e) {
    if (io.signal.aborted) throw e;
    return { cds_error: `${errorMessage(e)} (workers start without it, only slower)` };
  }
}

async function pythonStep(
  v: { python?: string; findLinks: string[]; force: boolean; noCds: boolean },
  io: SetupIo,
): Promise<Omit<StepResult, 'seconds' | 'step'>> {
  const target = runtimeVenv();
  const version = pinnedDeephavenVersion();
  // What an interrupted run left (its process is gone) is removed by any later run, whatever happens next.
  removeLeftovers(target);
  io.progress('python: looking for a JDK 17+');
  const java = findJavaHere(io.env);
  const stamp = readStamp(target);
  const sameInterpreter = !v.python || stamp?.python === v.python;
  const problems: string[] = [];
  if (!java.found) {
    const seen = java.rejected.map((r) => `${r.home}: ${r.reason}`).join('; ');
    problems.push(`no Java 17+ runtime found${seen ? ` (${seen})` : ''}; ${javaInstallHint()}`);
  }
  if (!v.force && sameInterpreter && runtimeReady(target)) {
    io.progress('python: checking the existing runtime');
    if (await runtimeImports(target)) {
      if (problems.length)
        throw new StepFailure(`${problems.join('\n')}\nthen re-run: ${SETUP_PYTHON_COMMAND}`);
      return {
        status: 'already-ready',
        venv: target,
        deephaven_version: version,
        java_home: java.found?.home,
        python: stamp?.python,
        ...(await cdsStep(target, java.found?.home, v.noCds, io)),
      };
    }
  }
  io.progress(
    v.python ? `python: checking ${v.python}` : 'python: looking for Python 3.10+ with a shared libpython',
  );
  const py = await findPython(process.platform, v.python);
  if (!py.chosen) {
    const seen = py.rejected.length
      ? ` (${py.rejected.join('; ')})`
      : ' (none of python3.13 ... python3.10, python3 is on PATH)';
    problems.push(`no usable Python 3.10+ found${seen}; ${pythonInstallHint()}`);
  }
  if (problems.length) throw new StepFailure(`${problems.join('\n')}\nthen re-run: ${SETUP_PYTHON_COMMAND}`);
  const made = await buildPythonRuntime({
    python: py.chosen!.executable,
    target,
    deephavenVersion: version,
    findLinks: v.findLinks,
    env: io.env,
    onProgress: (m) => io.progress(`python: ${m}`),
    signal: io.signal,
  });
  return {
    status: 'ready',
    venv: target,
    deephaven_version: version,
    java_home: java.found?.home,
    python: made.python,
    python_version: made.python_version,
    ...(await cdsStep(target, java.found?.home, v.noCds, io)),
  };
}

async function dockerStep(
  v: { image?: string; force: boolean; optional: boolean },
  io: SetupIo,
): Promise<Omit<StepResult, 'seconds' | 'step'>> {
  const image = v.image ?? defaultImage('Python', io.env);
  const where = dockerEngine();
  const engine = `${where.address} (${where.source})`;
  io.progress(`docker: asking the engine at ${engine}`);
  const docker = createDockerClient();
  if (!(await dockerAnswers(docker, 3000))) {
    const msg = `no Docker engine answers at ${engine}; ${dockerStartHint()}`;
    if (v.optional) return { status: 'skipped', image, engine, error: msg };
    throw new StepFailure(`${msg}\nthen re-run: ${SETUP_DOCKER_COMMAND}`);
  }
  if (!v.force && (await imageExists(docker, image))) return { status: 'already-ready', image, engine };
  io.progress(`docker: pulling ${image}`);
  try {
    await ensureImage(docker, image, {
      policy: 'always',
      signal: io.signal,
      onProgress: (p) =>
        io.progress(
          `docker: pulling ${p.image}: ${p.layersDone}/${p.layers} layers, ${formatBytes(p.bytesDone)}` +
            (p.bytesTotal ? ` of ${formatBytes(p.bytesTotal)}` : ''),
        ),
    });
  } catch (e) {
    if (io.signal.aborted) throw e;
    throw new StepFailure(
      `${errorMessage(e)}\n(a mirror: set DH_MCP_IMAGE_REGISTRY; another image: --image or DH_MCP_DEFAULT_IMAGE_PYTHON)`,
    );
  }
  return { status: 'ready', image, engine };
}

export interface SetupOutcome {
  ok: boolean;
  steps: StepResult[];
  /** What the embedded default config would now pick, and why. */
  default_launch_method?: string;
  reason?: string;
}

/** Runs `dh-mcp setup`; returns the exit status. Results go to stdout only with --json. */
export async function runSetup(argv: string[], io: SetupIo, out: (text: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new InvalidRequestError(`${(e as Error).message}\n\n${SETUP_USAGE}`);
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    out(SETUP_USAGE);
    return 0;
  }
  const what = positionals[0] ?? 'all';
  if (positionals.length > 1 || !['python', 'docker', 'all'].includes(what))
    throw new InvalidRequestError(
      `setup takes 'python', 'docker' or nothing (both), got '${positionals.join(' ')}'`,
    );
  if (v.image && what === 'python') throw new InvalidRequestError('--image applies to setup docker');
  if ((v.python || v['find-links'] || v['no-cds']) && what === 'docker')
    throw new InvalidRequestError('--python, --find-links and --no-cds apply to setup python');

  const steps: StepResult[] = [];
  const force = v.force ?? false;
  const plan: Array<['python' | 'docker', () => Promise<Omit<StepResult, 'seconds' | 'step'>>]> = [];
  if (what !== 'docker')
    plan.push([
      'python',
      () =>
        pythonStep(
          { python: v.python, findLinks: v['find-links'] ?? [], force, noCds: v['no-cds'] ?? false },
          io,
        ),
    ]);
  if (what !== 'python')
    plan.push(['docker', () => dockerStep({ image: v.image, force, optional: what === 'all' }, io)]);

  for (const [step, run] of plan) {
    const t0 = Date.now();
    let r: Omit<StepResult, 'seconds' | 'step'>;
    try {
      r = await run();
    } catch (e) {
      if (io.signal.aborted) throw e;
      if (!(e instanceof StepFailure) && !(e instanceof InvalidRequestError)) {
        r = { status: 'failed', error: errorMessage(e) };
      } else r = { status: 'failed', error: e.message };
    }
    const seconds = Math.round((Date.now() - t0) / 100) / 10;
    const result = { step, ...r, seconds } as StepResult;
    steps.push(result);
    io.settle();
    if (!v.json) process.stderr.write(`${summary(result)}\n`);
  }
  const ok =
    what === 'all'
      ? steps.some((s) => s.status === 'ready' || s.status === 'already-ready')
      : steps.every((s) => s.status !== 'failed');
  const outcome: SetupOutcome = { ok, steps };
  if (ok) {
    const choice = await detectLaunchMethod(io.env);
    outcome.default_launch_method = choice.method;
    outcome.reason = choice.reason;
    if (!v.json)
      process.stderr.write(
        `dh-mcp: the embedded default now uses launch_method ${choice.method}: ${choice.reason}\n`,
      );
  }
  if (v.json) out(`${JSON.stringify(outcome)}\n`);
  return ok ? 0 : 2;
}

function cdsNote(r: StepResult): string {
  if (typeof r.cds_archive === 'string') return `\n  class-data sharing archive: ${r.cds_archive}`;
  if (typeof r.cds_error === 'string') return `\n  WARNING: ${r.cds_error}`;
  return '';
}

function summary(r: StepResult): string {
  const what =
    r.step === 'python' ? String(r.venv ?? 'the Python runtime') : String(r.image ?? 'the default image');
  switch (r.status) {
    case 'ready':
      return `dh-mcp setup ${r.step}: ready in ${r.seconds} s: ${what}${cdsNote(r)}`;
    case 'already-ready':
      return `dh-mcp setup ${r.step}: already ready (nothing to do): ${what}${cdsNote(r)}`;
    case 'skipped':
      return `dh-mcp setup ${r.step}: skipped: ${r.error ?? ''}`;
    default:
      return `dh-mcp setup ${r.step}: FAILED: ${r.error ?? ''}`;
  }
}
