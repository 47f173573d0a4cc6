import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkerBase, WorkerOutput } from '../../../src/workers/drivers/shared/worker-output.js';

// The DH-WORKER line protocol of launchers/dh_worker.py as the launchers read it: no worker, no Java.
const ready = (o: Record<string, unknown> = {}) =>
  `DH-WORKER ${JSON.stringify({ event: 'ready', port: 10000, version: '42.7', console: 'python', ...o })}\n`;
const error = (message: string) => `DH-WORKER ${JSON.stringify({ event: 'error', message })}\n`;

/** The outcome of a wait that has had every chance to settle (no timers left to run). */
async function outcome(out: WorkerOutput, timeoutMs = 60_000): Promise<unknown> {
  return out.waitUntilReady({ timeoutMs }, 'test worker').then(
    (r) => ({ ready: r }),
    (e: Error & { portTaken?: boolean; logTail?: string[] }) => ({
      error: e.message,
      portTaken: e.portTaken,
      tail: e.logTail,
    }),
  );
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ready line', () => {
  it('resolves with port, version and console', async () => {
    const out = new WorkerOutput();
    out.push('starting\n');
    out.push(ready());
    expect(await outcome(out)).toEqual({ ready: { port: 10000, version: '42.7', console: 'python' } });
  });

  it('is recognised when split across chunks at any byte, and with CRLF endings', async () => {
    const line = ready({ port: 12345 }).replace('\n', '\r\n');
    for (let cut = 1; cut < line.length; cut += 7) {
      const out = new WorkerOutput();
      out.push(line.slice(0, cut));
      out.push(line.slice(cut));
      expect(await outcome(out)).toMatchObject({ ready: { port: 12345 } });
    }
  });

  it('is recognised under ANSI colour codes', async () => {
    const out = new WorkerOutput();
    out.push(`\u001b[32m${ready({ port: 4242 }).trimEnd()}\u001b[0m\n`);
    expect(await outcome(out)).toMatchObject({ ready: { port: 4242 } });
  });

  it('waits for the end of the line: a ready line without its newline is not ready yet', async () => {
    vi.useFakeTimers();
    const out = new WorkerOutput();
    out.push(ready().trimEnd());
    const wait = outcome(out, 5000);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await wait).toMatchObject({ error: expect.stringMatching(/did not report ready within 5 s/) });
  });

  it('a wait that starts after the ready line still resolves', async () => {
    const out = new WorkerOutput();
    out.push(ready());
    out.push('later output\n');
    expect(await outcome(out)).toMatchObject({ ready: { port: 10000 } });
  });

  it('only the line start counts: the marker inside a line is ordinary output', async () => {
    vi.useFakeTimers();
    const out = new WorkerOutput();
    out.push(`echo ${ready()}`);
    const wait = outcome(out, 1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await wait).toMatchObject({ error: expect.stringMatching(/did not report ready/) });
    expect(out.lastLines()).toContain(`echo ${ready().trimEnd()}`);
  });
});

describe('garbage on the protocol', () => {
  it.each([
    ['not JSON', 'DH-WORKER {"event": "ready", port'],
    ['ready without a port', 'DH-WORKER {"event":"ready"}'],
    ['ready with a string port', 'DH-WORKER {"event":"ready","port":"10000"}'],
    ['an unknown event', 'DH-WORKER {"event":"hello","port":1}'],
    ['a JSON array', 'DH-WORKER [1,2,3]'],
    ['a bare marker', 'DH-WORKER '],
  ])('%s is neither ready nor a failure, and stays out of the tail', async (_, line) => {
    vi.useFakeTimers();
    const out = new WorkerOutput();
    out.push(`${line}\n`);
    const wait = outcome(out, 1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await wait).toMatchObject({ error: expect.stringMatching(/did not report ready within 1 s/) });
    expect(out.lastLines()).toEqual([]);
  });

  it('a null event payload is ignored', async () => {
    vi.useFakeTimers();
    const out = new WorkerOutput();
    out.push('DH-WORKER null\n');
    const wait = outcome(out, 1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await wait).toMatchObject({ error: expect.stringMatching(/did not report ready/) });
  });
});

describe('error line', () => {
  it('fails at once with the first three lines of the message', async () => {
    const out = new WorkerOutput();
    out.push('some output\n');
    out.push(error('RuntimeError: boom\nline two\nline three\nline four'));
    const r = (await outcome(out)) as { error: string; portTaken: boolean; tail: string[] };
    expect(r.error).toMatch(/^the worker failed to start: RuntimeError: boom line two line three\n/);
    expect(r.error).not.toContain('line four');
    expect(r.portTaken).toBe(false);
    expect(r.tail).toEqual(['some output', 'error: RuntimeError: boom']);
  });

  it('says when the port was taken (the caller may retry on another port)', async () => {
    const out = new WorkerOutput();
    out.push(error('java.net.BindException: Address already in use'));
    expect(await outcome(out)).toMatchObject({
      error: expect.stringMatching(/^the worker could not bind its port: another process took it/),
      portTaken: true,
    });
  });

  it('adds a hint when the JVM refused its options', async () => {
    const out = new WorkerOutput();
    out.push(error('Error: failed to create Java VM'));
    expect(await outcome(out)).toMatchObject({
      error: expect.stringMatching(/\(the JVM refused its options: check extra_jvm_args and heap_size_gb\)/),
    });
  });

  it('an error event without a message still fails, clearly', async () => {
    const out = new WorkerOutput();
    out.push('DH-WORKER {"event":"error"}\n');
    expect(await outcome(out)).toMatchObject({
      error: expect.stringMatching(/^the worker failed to start: unknown error/),
    });
  });
});

describe('failures from outside the output', () => {
  it('the first failure wins', async () => {
    const out = new WorkerOutput();
    out.fail('the worker process exited during start (exit code 1)');
    out.fail('something later');
    expect(await outcome(out)).toMatchObject({ error: expect.stringMatching(/^the worker process exited/) });
  });

  it('a wait already under way fails as soon as the failure comes', async () => {
    const out = new WorkerOutput();
    const wait = outcome(out);
    out.push('last words\n');
    out.fail('the worker container exited during start (exit code 137)');
    expect(await wait).toMatchObject({
      error: expect.stringMatching(/exit code 137\)\nLast worker output:\n {2}last words/),
      tail: ['last words'],
    });
  });

  it('an abort fails the wait and says it was cancelled', async () => {
    const out = new WorkerOutput();
    const ac = new AbortController();
    const wait = out.waitUntilReady({ timeoutMs: 60_000, signal: ac.signal }, 'test worker');
    ac.abort();
    await expect(wait).rejects.toThrow(/^start of test worker was cancelled/);
  });

  it('an already aborted signal fails at once', async () => {
    const out = new WorkerOutput();
    const ac = new AbortController();
    ac.abort();
    await expect(out.waitUntilReady({ timeoutMs: 60_000, signal: ac.signal }, 'w')).rejects.toThrow(
      /cancelled/,
    );
  });

  it('progress is reported every second while waiting, and stops once ready', async () => {
    vi.useFakeTimers();
    const out = new WorkerOutput();
    const progress: string[] = [];
    const wait = out.waitUntilReady({ timeoutMs: 60_000, onProgress: (m) => progress.push(m) }, 'w');
    await vi.advanceTimersByTimeAsync(3000);
    expect(progress).toEqual(['w starting (1 s)', 'w starting (2 s)', 'w starting (3 s)']);
    out.push(ready());
    await wait;
    await vi.advanceTimersByTimeAsync(5000);
    expect(progress).toHaveLength(3);
  });
});

/** A worker whose liveness the test sets, for the death-after-ready path. */
class FakeWorker extends WorkerBase {
  alive = true;
  constructor(readonly out: WorkerOutput) {
    super(out);
  }
  protected describe(): string {
    return 'fake';
  }
  protected async doStop(): Promise<void> {}
  async isAlive(): Promise<boolean> {
    return this.alive;
  }
}

describe('death after the ready line', () => {
  it('a running worker has no death cause', async () => {
    const w = new FakeWorker(new WorkerOutput());
    w.out.push(ready());
    expect(await w.deathCause(10)).toBeUndefined();
  });

  it('a dead worker reports its exit, also when the exit is noticed a moment after the liveness check', async () => {
    vi.useFakeTimers();
    const w = new FakeWorker(new WorkerOutput());
    w.out.push(ready());
    w.out.push('OutOfMemory soon\n');
    w.alive = false;
    const cause = w.deathCause(2000);
    await vi.advanceTimersByTimeAsync(100);
    w.out.fail('the worker container exited during start (exit code 137)');
    const e = await cause;
    expect(e?.message).toMatch(
      /^the worker container exited during start \(exit code 137\)\nLast worker output:\n {2}OutOfMemory soon/,
    );
  });

  it('a dead worker whose exit is never reported gives no cause after the wait (the caller keeps its own error)', async () => {
    vi.useFakeTimers();
    const w = new FakeWorker(new WorkerOutput());
    w.alive = false;
    const cause = w.deathCause(2000);
    await vi.advanceTimersByTimeAsync(2000);
    expect(await cause).toBeUndefined();
  });
});

describe('the tail kept for error messages', () => {
  it('keeps the last 40 non-blank lines, each cut at 500 characters', () => {
    const out = new WorkerOutput();
    for (let i = 0; i < 100; i++) out.push(`line ${i}\n\n   \n`);
    out.push(`${'x'.repeat(2000)}\n`);
    const lines = out.lastLines(1000);
    expect(lines).toHaveLength(40);
    expect(lines[0]).toBe('line 61');
    expect(lines.at(-1)).toBe(`${'x'.repeat(500)}…`);
    expect(out.lastLines()).toHaveLength(15);
  });

  it('a worker printing megabytes without a newline is held to a bounded size, and still read afterwards', async () => {
    const out = new WorkerOutput();
    for (let i = 0; i < 1024; i++) out.push('y'.repeat(1024));
    expect(out.lastLines().at(-1)).toBe(`${'y'.repeat(500)}…`);
    out.push(`\n${ready({ port: 777 })}`);
    expect(await outcome(out)).toMatchObject({ ready: { port: 777 } });
    expect(out.lastLines()).toEqual([`${'y'.repeat(500)}…`]);
  });

  it('includes an unfinished last line', () => {
    const out = new WorkerOutput();
    out.push('done\nhalf a li');
    expect(out.lastLines()).toEqual(['done', 'half a li']);
  });
});
