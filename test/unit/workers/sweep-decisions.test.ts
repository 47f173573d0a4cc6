import { describe, expect, it } from 'vitest';
import {
  containerOrphaned,
  recordDecision,
  type SweepContext,
} from '../../../src/tracking/sweep-decisions.js';
import { judgeProcess, type ProcessProbe } from '../../../src/util/process-identity.js';
import { DriverSet } from '../../../src/workers/drivers/index.js';
import { LABELS } from '../../../src/workers/owner-labels.js';

// The orphan sweep's decisions with injected probes: any pid situation, any host, any time, no real process.
const processes =
  (table: Record<number, string | null>): ProcessProbe =>
  (pid) => {
    if (!(pid in table)) return { running: false };
    const start = table[pid];
    return start === null ? { running: true } : { running: true, startTime: start };
  };

const NOW = Date.parse('2026-06-01T12:00:00Z');
const ctx = (probe: ProcessProbe): SweepContext => ({ self: 'me', hostname: 'here', now: NOW, probe });

describe('a recorded process against what runs now', () => {
  const probe = processes({ 10: '500', 11: '999', 12: null });
  it.each([
    ['alive, same start time', { pid: 10, startTime: '500' }, 'same'],
    ['dead', { pid: 20, startTime: '500' }, 'gone'],
    ['pid reused by a process with another start time', { pid: 11, startTime: '500' }, 'reused'],
    ['recorded without a start time', { pid: 10 }, 'unverifiable'],
    ['start time hidden now', { pid: 12, startTime: '500' }, 'unverifiable'],
  ] as const)('%s: %s', (_, recorded, verdict) => {
    expect(judgeProcess(recorded, probe)).toBe(verdict);
  });
});

describe('instance records', () => {
  const rec = (
    o: Partial<{ instance_id: string; hostname: string; pid: number; pid_start_time: string }>,
  ) => ({
    instance_id: 'other',
    hostname: 'here',
    pid: 10,
    pid_start_time: '500',
    ...o,
  });
  const probe = processes({ 10: '500', 11: '999' });

  it('never its own record, even when its owner pid looks dead', () => {
    expect(recordDecision(rec({ instance_id: 'me', pid: 20 }), ctx(probe))).toBe('self');
  });
  it("never another host's record (a shared home directory)", () => {
    expect(recordDecision(rec({ hostname: 'elsewhere', pid: 20 }), ctx(probe))).toBe('other-host');
  });
  it('left alone while its owner runs', () => {
    expect(recordDecision(rec({}), ctx(probe))).toBe('owner-alive');
  });
  it('left alone when the owner cannot be verified (no start time recorded): the safe answer', () => {
    expect(recordDecision(rec({ pid_start_time: undefined }), ctx(probe))).toBe('owner-alive');
  });
  it('swept when the owner is dead', () => {
    expect(recordDecision(rec({ pid: 20 }), ctx(probe))).toBe('sweep');
  });
  it("swept when the owner's pid now belongs to another process", () => {
    expect(recordDecision(rec({ pid: 11 }), ctx(probe))).toBe('sweep');
  });
});

describe('workers listed in a swept record (the python driver signals only a "same" verdict)', () => {
  const probe = processes({ 30: '700', 31: '123', 32: null });
  it('the recorded worker itself: same', () => {
    expect(judgeProcess({ pid: 30, startTime: '700' }, probe)).toBe('same');
  });
  it('a pid reused by another process: reused, left alone', () => {
    expect(judgeProcess({ pid: 31, startTime: '700' }, probe)).toBe('reused');
  });
  it('recorded without a start time, or hidden now: unverifiable, never signalled', () => {
    expect(judgeProcess({ pid: 30 }, probe)).toBe('unverifiable');
    expect(judgeProcess({ pid: 32, startTime: '700' }, probe)).toBe('unverifiable');
  });
  it('already gone: nothing to do', () => {
    expect(judgeProcess({ pid: 33, startTime: '700' }, probe)).toBe('gone');
  });
});

describe('labelled containers', () => {
  const probe = processes({ 10: '500', 11: '999' });
  const labels = (l: Record<string, string>) => ({
    [LABELS.instance]: 'other',
    [LABELS.ownerHost]: 'here',
    ...l,
  });
  const owned = (pid: string, start = '500') =>
    labels({ [LABELS.ownerPid]: pid, [LABELS.ownerStart]: start });

  it('never its own', () => {
    expect(containerOrphaned({ ...owned('20'), [LABELS.instance]: 'me' }, ctx(probe))).toBe(false);
  });
  it("never another host's", () => {
    expect(containerOrphaned({ ...owned('20'), [LABELS.ownerHost]: 'elsewhere' }, ctx(probe))).toBe(false);
  });
  it('kept while the owner runs', () => {
    expect(containerOrphaned(owned('10'), ctx(probe))).toBe(false);
  });
  it('kept when the owner runs but its start time was not recorded', () => {
    expect(containerOrphaned(labels({ [LABELS.ownerPid]: '10' }), ctx(probe))).toBe(false);
  });
  it('an orphan once the owner is dead', () => {
    expect(containerOrphaned(owned('20'), ctx(probe))).toBe(true);
  });
  it("an orphan when the owner's pid is reused by another process", () => {
    expect(containerOrphaned(owned('11'), ctx(probe))).toBe(true);
  });
  it('an orphan when no valid owner is recorded', () => {
    expect(containerOrphaned(labels({}), ctx(probe))).toBe(true);
    expect(containerOrphaned(labels({ [LABELS.ownerPid]: 'x' }), ctx(probe))).toBe(true);
    expect(containerOrphaned(labels({ [LABELS.ownerPid]: '0' }), ctx(probe))).toBe(true);
  });
  it('a detached worker lives until its expiry, whatever its owner, and is an orphan after it', () => {
    const later = new Date(NOW + 60_000).toISOString();
    const earlier = new Date(NOW - 60_000).toISOString();
    expect(containerOrphaned(labels({ [LABELS.expires]: later }), ctx(probe))).toBe(false);
    expect(containerOrphaned({ ...owned('20'), [LABELS.expires]: later }, ctx(probe))).toBe(false);
    expect(containerOrphaned(labels({ [LABELS.expires]: earlier }), ctx(probe))).toBe(true);
  });
});

describe('driver set', () => {
  const drivers = new DriverSet(() => {
    throw new Error('no Docker in unit tests');
  });
  it('re-attaches records by kind, and nothing for an unknown kind or a malformed record', () => {
    expect(drivers.reattach({ kind: 'python', pid: 12345, start_time: '1' })?.identity).toEqual({
      process_id: 12345,
    });
    expect(drivers.reattach({ kind: 'dhmcp-image', container_id: 'abc' })?.identity).toEqual({
      container_id: 'abc',
    });
    expect(drivers.reattach({ kind: 'plain-image', container_id: 'def' })?.identity).toEqual({
      container_id: 'def',
    });
    expect(drivers.reattach({ kind: 'k8s-pod', name: 'x' })).toBeUndefined();
    expect(drivers.reattach({ kind: 'python', pid: 'nope' })).toBeUndefined();
  });
});
