import { describe, expect, it } from 'vitest';
import { progressReporter } from '../../../src/tools/progress.js';
import type { ToolExtra } from '../../../src/tools/tool-kit.js';
import {
  START_PHASES,
  inPhaseOrder,
  phaseOf,
  phaseReporter,
  progressMessage,
  type ProgressEvent,
} from '../../../src/workers/progress.js';

describe('start phases', () => {
  it('are named in the order a start goes through them', () => {
    expect(START_PHASES).toEqual(['pool_claim', 'pull', 'start', 'ready', 'login']);
  });

  it('a message names its phase first, and phaseOf reads it back', () => {
    for (const phase of START_PHASES) {
      const m = progressMessage({ phase, text: 'x: y' });
      expect(m).toBe(`${phase}: x: y`);
      expect(phaseOf(m)).toBe(phase);
    }
    expect(phaseOf('pulling x: 1/2 layers')).toBeUndefined();
    expect(phaseOf('no colon')).toBeUndefined();
    expect(phaseOf(undefined)).toBeUndefined();
  });

  it('order: repeats are fine, going back to an earlier phase is not', () => {
    expect(inPhaseOrder([])).toBe(true);
    expect(inPhaseOrder(['pull', 'pull', 'start', 'start', 'ready', 'login', 'login'])).toBe(true);
    expect(inPhaseOrder(['pool_claim'])).toBe(true);
    expect(inPhaseOrder(['start', 'pull'])).toBe(false);
    expect(inPhaseOrder(['start', 'ready', 'start'])).toBe(false);
  });

  it('a phase reporter tags what it reports; none without a listener', () => {
    const seen: ProgressEvent[] = [];
    const pull = phaseReporter((e) => seen.push(e), 'pull')!;
    pull('a');
    pull('b', { progress: 5, total: 10 });
    expect(seen).toEqual([
      { phase: 'pull', text: 'a' },
      { phase: 'pull', text: 'b', detail: { progress: 5, total: 10 } },
    ]);
    expect(phaseReporter(undefined, 'start')).toBeUndefined();
  });
});

describe('MCP progress notifications of a create', () => {
  function collect(token: string | number | undefined): {
    report: ReturnType<typeof progressReporter>;
    sent: Array<Record<string, unknown>>;
  } {
    const sent: Array<Record<string, unknown>> = [];
    const extra = {
      _meta: token === undefined ? undefined : { progressToken: token },
      sendNotification: (n: { params: Record<string, unknown> }) => {
        sent.push(n.params);
        return Promise.resolve();
      },
    } as unknown as ToolExtra;
    return { report: progressReporter(extra), sent };
  }

  it('nothing is sent when the caller asked for no progress', () => {
    expect(collect(undefined).report).toBeUndefined();
  });

  it('the message names the phase; progress grows, bytes when a pull has them, and total only when it is ahead', () => {
    const { report, sent } = collect('t');
    report!({ phase: 'pull', text: 'pulling i: 0/2 layers' });
    report!({
      phase: 'pull',
      text: 'pulling i: 1/2 layers, 1.0 of 3.0 MB',
      detail: { progress: 1e6, total: 3e6 },
    });
    report!({ phase: 'pull', text: 'pulled i', detail: { progress: 3e6, total: 3e6 } });
    report!({ phase: 'start', text: 'launching' });
    report!({ phase: 'ready', text: 'ready' });
    expect(sent).toEqual([
      { progressToken: 't', progress: 1, message: 'pull: pulling i: 0/2 layers' },
      {
        progressToken: 't',
        progress: 1e6,
        total: 3e6,
        message: 'pull: pulling i: 1/2 layers, 1.0 of 3.0 MB',
      },
      { progressToken: 't', progress: 3e6, total: 3e6, message: 'pull: pulled i' },
      { progressToken: 't', progress: 3e6 + 1, message: 'start: launching' },
      { progressToken: 't', progress: 3e6 + 2, message: 'ready: ready' },
    ]);
  });
});
