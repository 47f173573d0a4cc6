import { describe, expect, it } from 'vitest';
import { Reservations } from '../../../src/workers/reservations.js';

// Names and slots of workers being created, claimed in one synchronous step.
const id = (name: string) => `community:dynamic:${name}`;

describe('Reservations', () => {
  it('claims a name and a slot; release frees both', () => {
    const r = new Reservations();
    const release = r.reserve('a', id('a'), false, 0, 1);
    expect(r.has('a')).toBe(true);
    expect(r.size).toBe(1);
    expect(() => r.reserve('b', id('b'), false, 0, 1)).toThrow(/^Session limit reached: 1\/1 /);
    release();
    expect(r.has('a')).toBe(false);
    expect(r.size).toBe(0);
    expect(() => r.reserve('b', id('b'), false, 0, 1)).not.toThrow();
  });

  it('a name being created cannot be claimed twice, whatever the limit', () => {
    const r = new Reservations();
    r.reserve('same', id('same'), false, 0, 10);
    expect(() => r.reserve('same', id('same'), false, 0, 10)).toThrow(
      "Session 'community:dynamic:same' is being created by another call; pick another session_name",
    );
    expect(r.size).toBe(1);
  });

  it('a name held by a running worker is refused before the slot count is looked at', () => {
    const r = new Reservations();
    expect(() => r.reserve('taken', id('taken'), true, 5, 5)).toThrow(
      "Session 'community:dynamic:taken' already exists; delete it first or pick another session_name",
    );
  });

  it('running workers and reservations count together against the limit', () => {
    const r = new Reservations();
    r.reserve('a', id('a'), false, 2, 4);
    expect(() => r.reserve('b', id('b'), false, 3, 4)).toThrow(
      'Session limit reached: 4/4 sessions active or starting (community.session_creation.max_concurrent_sessions); delete one with session_community_delete first',
    );
  });

  it('max 0 refuses every claim', () => {
    const r = new Reservations();
    expect(() => r.reserve('a', id('a'), false, 0, 0)).toThrow(/^Session limit reached: 0\/0 /);
    expect(r.size).toBe(0);
  });

  it('a refused claim holds nothing', () => {
    const r = new Reservations();
    r.reserve('a', id('a'), false, 0, 1);
    for (const [name, taken] of [
      ['a', false],
      ['b', true],
      ['c', false],
    ] as const) {
      expect(() => r.reserve(name, id(name), taken, 0, 1)).toThrow();
    }
    expect(r.size).toBe(1);
    expect(r.has('b')).toBe(false);
    expect(r.has('c')).toBe(false);
  });

  it('release is idempotent: a second call never frees a later claim of the same name', () => {
    const r = new Reservations();
    const first = r.reserve('a', id('a'), false, 0, 2);
    first();
    r.reserve('a', id('a'), false, 0, 2);
    first();
    expect(r.has('a')).toBe(true);
    expect(r.size).toBe(1);
  });

  it('a burst of claims in one tick: exactly `max` succeed, the rest are told the limit', () => {
    const r = new Reservations();
    const outcomes = Array.from({ length: 20 }, (_, i) => {
      try {
        r.reserve(`n${i}`, id(`n${i}`), false, 0, 3);
        return 'ok';
      } catch (e) {
        return (e as Error).message.slice(0, 26);
      }
    });
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(3);
    expect(new Set(outcomes.filter((o) => o !== 'ok'))).toEqual(new Set(['Session limit reached: 3/3']));
  });
});
