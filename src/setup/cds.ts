import path from 'node:path';
import { execa } from 'execa';
import { PACKAGE_ROOT, venvPython } from '../util/paths.js';

/** The worker-side archive tool (also copied into the dh-mcp images). */
export const CDS_SCRIPT = path.join(PACKAGE_ROOT, 'launchers', 'dh_cds.py');

const BUILD_TIMEOUT_MS = 25 * 60_000;

export interface CdsBuildOptions {
  venv: string;
  javaHome: string;
  /** The directory the archive goes into (named by its key, so several can live there). */
  dir: string;
  env: NodeJS.ProcessEnv;
  onProgress(message: string): void;
  signal?: AbortSignal;
}

/**
 * Makes the class-data sharing archive of a venv's deephaven-server and a JVM, unless the directory already holds
 * it (launchers/dh_cds.py: two training boots and a `java -Xshare:dump`, about a minute, once). Returns its path.
 */
export async function buildCdsArchive(o: CdsBuildOptions): Promise<string> {
  const child = execa(venvPython(o.venv), [CDS_SCRIPT, 'build', o.dir], {
    env: { ...o.env, JAVA_HOME: o.javaHome },
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    cancelSignal: o.signal,
    forceKillAfterDelay: 5000,
    // Two training boots (each cut off at 10 min by the script) and a dump: a build stuck past this is killed
    // rather than holding setup forever.
    timeout: BUILD_TIMEOUT_MS,
  });
  const tail: string[] = [];
  let partial = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    const lines = (partial + d).split(/\r?\n/);
    partial = lines.pop() ?? '';
    for (const l of lines) {
      tail.push(l);
      if (tail.length > 20) tail.shift();
      const m = /^\[dh-cds\] (.*)$/.exec(l);
      if (m) o.onProgress(m[1]!);
    }
  });
  const r = await child;
  if (o.signal?.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : new Error('cancelled');
  const archive = String(r.stdout ?? '').trim();
  if (r.timedOut)
    throw new Error(
      `making the class-data sharing archive took over ${BUILD_TIMEOUT_MS / 60_000} min and was stopped`,
    );
  if (r.exitCode !== 0 || !archive)
    throw new Error(
      `making the class-data sharing archive failed (exit ${String(r.exitCode)}):\n${[...tail, partial].join('\n').trim()}`,
    );
  return archive;
}
