import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ownerGone } from '../../../src/tracking/orphan-sweep.js';
import { processStartTime } from '../../../src/util/process-identity.js';
import { DriverSet } from '../../../src/workers/drivers/index.js';
import { LABELS } from '../../../src/workers/owner-labels.js';

const now = Date.parse('2026-01-01T00:00:00Z');
const me = { pid: String(process.pid), start: processStartTime(process.pid) ?? '' };
const labels = (l: Record<string, string>): Record<string, string> => ({
  [LABELS.instance]: 'other',
  [LABELS.ownerHost]: os.hostname(),
  ...l,
});

describe('orphan sweep: which labelled containers are orphans', () => {
  it('never its own', () => {
    expect(ownerGone(labels({ [LABELS.instance]: 'self' }), 'self', now)).toBe(false);
  });
  it('never another host’s', () => {
    expect(
      ownerGone(labels({ [LABELS.ownerHost]: 'elsewhere', [LABELS.ownerPid]: '999999999' }), 'self', now),
    ).toBe(false);
  });
  it('not while the owner runs (same pid and start time)', () => {
    expect(ownerGone(labels({ [LABELS.ownerPid]: me.pid, [LABELS.ownerStart]: me.start }), 'self', now)).toBe(
      false,
    );
  });
  it('yes when the owner pid now belongs to another process (start time differs)', () => {
    expect(ownerGone(labels({ [LABELS.ownerPid]: me.pid, [LABELS.ownerStart]: '1' }), 'self', now)).toBe(
      true,
    );
  });
  it('yes when the owner is gone or unknown', () => {
    expect(ownerGone(labels({ [LABELS.ownerPid]: '999999999' }), 'self', now)).toBe(true);
    expect(ownerGone(labels({}), 'self', now)).toBe(true);
  });
  it('a detached worker only after its expiry', () => {
    const later = new Date(now + 60_000).toISOString();
    const earlier = new Date(now - 60_000).toISOString();
    expect(ownerGone(labels({ [LABELS.expires]: later }), 'self', now)).toBe(false);
    expect(ownerGone(labels({ [LABELS.expires]: earlier }), 'self', now)).toBe(true);
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
    expect(drivers.reattach({ kind: 'k8s-pod', name: 'x' })).toBeUndefined();
    expect(drivers.reattach({ kind: 'python', pid: 'nope' })).toBeUndefined();
  });
});
