import { closeSync, existsSync, openSync, readdirSync, readSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type Options, type ResultPromise } from 'execa';
import { SETUP_PYTHON_COMMAND, javaInstallHint } from '../../../setup/hints.js';
import { findJavaHere } from '../../../setup/java.js';
import { WORKER_ENTRY_SCRIPT, cdsArchiveDirs, venvPython } from '../../../util/paths.js';
import { identify, type ProcessIdentity } from '../../../util/process-identity.js';
import { LaunchError } from '../../launch-error.js';
import { workerEnvironment, type DhWorkerSpec } from '../shared/dh-worker-protocol.js';
import { WorkerBase } from '../shared/worker-output.js';
import { stopPythonWorker, type PythonRecord } from './record.js';

export interface PythonSpec extends DhWorkerSpec {
  /** The session name; it names the temp directory and the log lines. */
  name: string;
  venvPath: string;
  /** The host port to bind (127.0.0.1 only). */
  port: number;
  /** Write the worker's output to this file instead of our pipes (for workers that outlive this process). */
  logFile?: string;
}

/** A JDK 17+ with its JVM library: JAVA_HOME, java on PATH, the platform's usual folders (see findJava). */
export function findJavaHome(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findJavaHere(env).found?.home;
}

/** Fails fast, with the fix, when the venv cannot run a worker. */
export function checkVenv(venv: string): void {
  const python = venvPython(venv);
  if (!existsSync(python)) {
    throw new LaunchError(
      `python_venv_path '${venv}' is not a Python venv (no ${python}); prepare the Python runtime with: ${SETUP_PYTHON_COMMAND} (or point python_venv_path at a venv holding deephaven-server)`,
    );
  }
  const lib = path.join(venv, 'lib');
  const hasServer =
    existsSync(lib) &&
    readdirSync(lib).some((d) => existsSync(path.join(lib, d, 'site-packages', 'deephaven_server')));
  if (!hasServer) {
    throw new LaunchError(
      `the venv '${venv}' has no deephaven-server; install it with '${python} -m pip install deephaven-server', or prepare the default Python runtime with: ${SETUP_PYTHON_COMMAND}`,
    );
  }
}

/**
 * Starts `launchers/dh_worker.py` with the venv's interpreter, bound to 127.0.0.1. The PSK goes through stdin;
 * stdout/stderr are drained into a bounded tail. The worker gets its own process group and its own data,
 * cache and config directories, so two workers never share state and a stop reaches every child.
 */
export async function launchPython(spec: PythonSpec): Promise<PythonWorker> {
  checkVenv(spec.venvPath);
  const javaHome = findJavaHome(spec.environment.JAVA_HOME ? spec.environment : process.env);
  if (!javaHome)
    throw new LaunchError(
      `no Java 17+ runtime found (JAVA_HOME, java on PATH, the usual JDK folders); ${javaInstallHint()}; then check with: ${SETUP_PYTHON_COMMAND}`,
    );
  // A fresh log file (never read an earlier worker's lines), written before anything needs cleaning up.
  if (spec.logFile) writeFileSync(spec.logFile, '', { mode: 0o600 });
  const home = await mkdtemp(path.join(os.tmpdir(), `dh-mcp-${spec.name}-`));
  const env: Record<string, string> = {
    ...inheritedEnv(process.env),
    JAVA_HOME: javaHome,
    DEEPHAVEN_DATA_DIR: path.join(home, 'data'),
    DEEPHAVEN_CACHE_DIR: path.join(home, 'cache'),
    DEEPHAVEN_CONFIG_DIR: path.join(home, 'config'),
    ...workerEnvironment(spec),
    DH_WORKER_HOST: '127.0.0.1',
    DH_WORKER_PORT: String(spec.port),
    // A class-data sharing archive made for this venv and JVM, when setup or provisioning made one (faster boot).
    DH_WORKER_CDS_DIR: cdsArchiveDirs().join(path.delimiter),
  };
  // A worker that outlives us must not write to our pipes (it would die of SIGPIPE once we exit): the entry
  // script points its own stdout and stderr at the log file instead.
  if (spec.logFile) env.DH_WORKER_LOG_FILE = spec.logFile;
  const output: Pick<Options, 'stdout' | 'stderr'> = spec.logFile
    ? { stdout: 'ignore', stderr: 'ignore' }
    : { stdout: 'pipe', stderr: 'pipe' };
  const child = execa(venvPython(spec.venvPath), [WORKER_ENTRY_SCRIPT], {
    env,
    extendEnv: false,
    stdin: 'pipe',
    ...output,
    detached: true,
    cleanup: false,
    reject: false,
    buffer: false,
    cwd: home,
  });
  return new PythonWorker(spec, child, home);
}

/**
 * What a worker inherits from the server's environment: the basics a process needs, nothing else. The server's
 * environment holds secrets (tokens named by auth_token_env_var, the HTTP bearer token) that a script in the
 * worker could otherwise print; a Docker worker likewise sees only what it is given.
 */
const INHERITED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR'];
function inheritedEnv(e: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(INHERITED.flatMap((k) => (e[k] === undefined ? [] : [[k, e[k]]])));
}

export class PythonWorker extends WorkerBase {
  readonly port: number;
  readonly pid: number | undefined;
  readonly identity: ProcessIdentity | undefined;
  private exited = false;
  private readonly exit: Promise<void>;

  constructor(
    private readonly spec: PythonSpec,
    private readonly child: ResultPromise,
    readonly home: string,
  ) {
    super();
    this.port = spec.port;
    this.pid = child.pid;
    this.identity = child.pid ? identify(child.pid) : undefined;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => this.output.push(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.output.push(d));
    child.stdin?.on('error', () => undefined); // EPIPE when the worker dies early
    const secret = spec.auth === 'PSK' && spec.token ? `${spec.token}\n` : '';
    if (spec.exitWithOwner) {
      if (secret) child.stdin?.write(secret);
    } else {
      // It must outlive us: its stdin closes once the secret is through (it ignores that), and it does not hold
      // our event loop.
      child.stdin?.end(secret, () => child.unref());
    }
    this.exit = child.then(
      (r) => {
        this.exited = true;
        this.output.fail(
          `the worker process exited during start (${r.signal ? `signal ${r.signal}` : `exit code ${r.exitCode}`})`,
        );
      },
      () => {
        this.exited = true;
        this.output.fail('the worker process could not be started');
      },
    );
    if (spec.logFile) this.tail(spec.logFile);
  }

  /** Follows the log file a detached worker writes, for the ready line and the error tail. */
  private tail(file: string): void {
    let offset = 0;
    const buf = Buffer.alloc(64 * 1024);
    const timer = setInterval(() => {
      let fd: number | undefined;
      try {
        fd = openSync(file, 'r');
        for (let n; (n = readSync(fd, buf, 0, buf.length, offset)) > 0; offset += n)
          this.output.push(buf.toString('utf8', 0, n));
      } catch {
        // not there yet
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }, 100);
    timer.unref();
    void this.exit.then(() => clearInterval(timer));
  }

  protected describe(): string {
    return `python worker '${this.spec.name}' (pid ${this.pid})`;
  }

  async isAlive(): Promise<boolean> {
    return !this.exited;
  }

  /** What an instance or detached record holds: pid plus start time, so a reused pid is never signalled. */
  record(): PythonRecord {
    return {
      kind: 'python',
      pid: this.pid ?? 0,
      start_time: this.identity?.startTime,
      home: this.home,
      port: this.port,
      ...(this.spec.logFile ? { log_file: this.spec.logFile } : {}),
    };
  }

  protected async doStop(): Promise<void> {
    // The one verified stop of this kind (the same as for a re-attached record); the log file of a detached
    // worker is left to whoever removes its record.
    if (!this.exited && this.identity) await stopPythonWorker({ ...this.record(), log_file: undefined });
    else await rm(this.home, { recursive: true, force: true }).catch(() => undefined);
    await Promise.race([this.exit, delay(5000)]);
    this.child.stdin?.destroy();
  }
}

/** A referenced timer on purpose: a stop must finish even when nothing else keeps the process alive. */
function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
