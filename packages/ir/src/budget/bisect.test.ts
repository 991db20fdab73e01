import { describe, expect, it } from 'vitest';
import { bisectMonotone } from './bisect';

describe('bisectMonotone', () => {
  it('brackets the crossing of a continuous function', () => {
    const r = bisectMonotone((x) => x * x, 0.25, 0, 1);
    expect(r.below).toBeCloseTo(0.5, 9);
    expect(r.above).toBeCloseTo(0.5, 9);
    expect(r.valueBelow).toBeLessThanOrEqual(0.25);
    expect(r.valueAbove).toBeGreaterThanOrEqual(0.25);
  });
  it('brackets a step of a step function', () => {
    const r = bisectMonotone((x) => Math.floor(x * 10), 4.5, 0, 1);
    expect(r.valueBelow).toBe(4);
    expect(r.valueAbove).toBe(5);
    expect(r.above - r.below).toBeLessThan(1e-9);
  });
  it('returns an end when the target is outside the range', () => {
    expect(bisectMonotone((x) => x, -1, 0, 1)).toMatchObject({ below: 0, above: 0 });
    expect(bisectMonotone((x) => x, 2, 0, 1)).toMatchObject({ below: 1, above: 1 });
  });
  it('rejects a bad range', () => {
    expect(() => bisectMonotone((x) => x, 0, 1, 0)).toThrow(/lo ≤ hi/);
  });
});
