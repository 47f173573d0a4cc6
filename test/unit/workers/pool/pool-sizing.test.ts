import { describe, expect, it } from 'vitest';
import { poolAdjustment, poolTarget, retryDelayMs } from '../../../../src/workers/pool/pool-sizing.js';

describe('how many pooled workers the pool keeps', () => {
  it('its size while slots are free', () => {
    expect(poolTarget({ size: 2, max: 5, occupied: 0 })).toBe(2);
    expect(poolAdjustment({ size: 2, max: 5, occupied: 0, pooled: 0 })).toBe(2);
    expect(poolAdjustment({ size: 2, max: 5, occupied: 1, pooled: 1 })).toBe(1);
    expect(poolAdjustment({ size: 2, max: 5, occupied: 3, pooled: 2 })).toBe(0);
  });

  it('never so many that sessions, creates and pooled workers exceed max_concurrent_sessions', () => {
    for (let occupied = 0; occupied <= 6; occupied++)
      for (let pooled = 0; pooled <= 3; pooled++) {
        const c = { size: 2, max: 4, occupied, pooled };
        const after = pooled + poolAdjustment(c);
        expect(after).toBeGreaterThanOrEqual(0);
        expect(after).toBeLessThanOrEqual(2);
        expect(occupied + after <= 4 || after === 0).toBe(true);
      }
  });

  it('gives slots back when creates need them', () => {
    expect(poolAdjustment({ size: 2, max: 3, occupied: 2, pooled: 2 })).toBe(-1);
    expect(poolAdjustment({ size: 2, max: 3, occupied: 3, pooled: 2 })).toBe(-2);
    expect(poolAdjustment({ size: 2, max: 3, occupied: 5, pooled: 0 })).toBe(0);
  });

  it('backs off after failed starts, up to five minutes', () => {
    expect(retryDelayMs(0)).toBe(0);
    expect(retryDelayMs(1)).toBe(5_000);
    expect(retryDelayMs(2)).toBe(10_000);
    expect(retryDelayMs(20)).toBe(300_000);
  });
});
