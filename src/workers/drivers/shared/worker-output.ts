import { LaunchError } from '../../launch-error.js';
import type { ClassDataSharing, ReadyInfo, WaitOptions } from './dh-worker-protocol.js';

const MARKER = 'DH-WORKER ';
const TAIL_LINES = 40;
/** Characters of one line kept in the tail. */
const TAIL_LINE_CHARS = 500;
/** Characters of an unfinished line held while waiting for its end: a worker printing without newlines is cut. */
const MAX_PARTIAL = 64 * 1024;
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

interface WorkerEvent {
  event: string;
  port?: number;
  version?: string;
  cds?: unknown;
  console?: string;
  message?: string;
}

/** What one output line means: ready, a start failure, or nothing (kept in the tail unless `hide`). */
export type LineMeaning =
  { ready: ReadyInfo } | { error: string; portTaken?: boolean; tail?: string } | { hide: true } | undefined;

const isSharing = (v: unknown): v is ClassDataSharing => v === 'archive' || v === 'default' || v === 'off';

/** The DH-WORKER protocol of launchers/dh_worker.py: `DH-WORKER {json}` lines with ready or error events. */
export function dhWorkerLine(line: string): LineMeaning {
  if (!line.startsWith(MARKER)) return undefined;
  let ev: WorkerEvent | undefined;
  try {
    ev = JSON.parse(line.slice(MARKER.length)) as WorkerEvent;
  } catch {
    ev = undefined;
  }
  if (ev?.event === 'ready' && typeof ev.port === 'number')
    return {
      ready: {
        port: ev.port,
        version: ev.version,
        console: ev.console,
        ...(isSharing(ev.cds) ? { classDataSharing: ev.cds } : {}),
      },
    };
  if (ev?.event === 'error') {
    const portTaken = /BindException|Address already in use/.test(ev.message ?? '');
    return {
      tail: `error: ${ev.message?.split('\n')[0] ?? 'unknown'}`,
      portTaken,
      error: portTaken
        ? 'the worker could not bind its port: another process took it'
        : `the worker failed to start: ${ev.message?.split('\n').slice(0, 3).join(' ') ?? 'unknown error'}${hint(ev.message)}`,
    };
  }
  return { hide: true };
}

/**
 * Reads a worker's output: keeps a bounded tail for error messages, and turns the lines that mean "ready" or
 * "failed" (as the kind's line parser says) into a ready promise that also fails at once on exit.
 */
export class WorkerOutput {
  constructor(private readonly meaning: (line: string) => LineMeaning = dhWorkerLine) {}

  private readonly tail: string[] = [];
  private partial = '';
  private ready: ReadyInfo | undefined;
  private failure: LaunchError | undefined;
  private waiters: Array<() => void> = [];

  /** Feeds raw output (stdout and stderr alike). */
  push(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split(/\r?\n/);
    this.partial = (lines.pop() ?? '').slice(0, MAX_PARTIAL);
    for (const raw of lines) this.line(raw.replace(ANSI, ''));
  }

  private line(line: string): void {
    const m = this.meaning(line);
    if (m && 'ready' in m) this.ready ??= m.ready;
    else if (m && 'error' in m) {
      if (m.tail) this.remember(m.tail);
      this.fail(m.error, m.portTaken);
    } else if (!m && line.trim()) this.remember(line);
    if (m) this.notify();
  }

  private remember(line: string): void {
    this.tail.push(cut(line));
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }

  /** Marks the start as failed (process exit, container death, launch error). First failure wins. */
  fail(message: string, portTaken = false): void {
    this.failure ??= new LaunchError(message, this.lastLines(), portTaken);
    this.notify();
  }

  /** The start failure, once there is one, or undefined if none came within `waitMs`. */
  failureWithin(waitMs: number): Promise<LaunchError | undefined> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (!this.failure) return void this.waiters.push(check);
        clearTimeout(timer);
        resolve(this.failure);
      };
      // Past the wait, the check leaves the waiters (it would otherwise come back on every notify).
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(this.failure);
      }, waitMs);
      check();
    });
  }

  lastLines(n = 15): string[] {
    const partial = this.partial.trim() ? [cut(this.partial)] : [];
    return [...this.tail, ...partial].slice(-n);
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  waitUntilReady(opts: WaitOptions, describe: string): Promise<ReadyInfo> {
    return new Promise<ReadyInfo>((resolve, reject) => {
      const started = Date.now();
      let progressTimer: NodeJS.Timeout | undefined;
      const finish = (): boolean => {
        if (this.ready) return done(() => resolve(this.ready!));
        if (this.failure) return done(() => reject(this.failure));
        return false;
      };
      const done = (f: () => void): boolean => {
        clearTimeout(timer);
        clearInterval(progressTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        f();
        return true;
      };
      const check = (): void => {
        if (!finish()) this.waiters.push(check);
      };
      const timer = setTimeout(() => {
        this.fail(`${describe} did not report ready within ${Math.round(opts.timeoutMs / 1000)} s`);
        finish();
      }, opts.timeoutMs);
      const onAbort = (): void => {
        this.fail(`start of ${describe} was cancelled`);
        finish();
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.signal?.aborted) onAbort();
      if (opts.onProgress) {
        const p = opts.onProgress;
        progressTimer = setInterval(
          () => p(`${describe} starting (${Math.round((Date.now() - started) / 1000)} s)`),
          1000,
        );
      }
      check();
    });
  }
}

function cut(line: string): string {
  return line.length > TAIL_LINE_CHARS ? `${line.slice(0, TAIL_LINE_CHARS)}…` : line;
}

/** A hint for failures whose cause is not in the message itself. */
function hint(message: string | undefined): string {
  if (message && /failed to create Java VM/.test(message))
    return ' (the JVM refused its options: check extra_jvm_args and heap_size_gb)';
  return '';
}

/** What DH-WORKER and plain workers share: the output reader, the ready wait and an idempotent stop. */
export abstract class WorkerBase {
  private stopping: Promise<void> | undefined;

  constructor(protected readonly output: WorkerOutput = new WorkerOutput()) {}

  protected abstract describe(): string;
  protected abstract doStop(): Promise<void>;
  abstract isAlive(): Promise<boolean>;

  /**
   * Why the worker died (its exit as this driver saw it: exit code, signal, the last lines), or undefined while
   * it runs. A worker that dies right after its ready line (a memory limit hit by the first login) is then
   * reported as what it is, not as a failed login.
   */
  async deathCause(waitMs = 2000): Promise<LaunchError | undefined> {
    if (await this.isAlive()) return undefined;
    return this.output.failureWithin(waitMs);
  }

  waitUntilReady(opts: WaitOptions): Promise<ReadyInfo> {
    return this.output.waitUntilReady(opts, this.describe());
  }

  logTail(): string[] {
    return this.output.lastLines();
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }
}
