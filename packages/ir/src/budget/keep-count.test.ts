import { describe, expect, it } from 'vitest';
import { isMetacompressError } from '@metacompress/core';
import { keepCandidates, keepCount } from './keep-count';

describe('keepCandidates', () => {
  it('lists multiples of roundTo from the minimum, plus the full count', () => {
    expect(keepCandidates(20, { roundTo: 8 })).toEqual([8, 16, 20]);
    expect(keepCandidates(16, { roundTo: 8 })).toEqual([8, 16]);
    expect(keepCandidates(5)).toEqual([1, 2, 3, 4, 5]);
    expect(keepCandidates(64, { roundTo: 16, minChannels: 20 })).toEqual([32, 48, 64]);
  });
  it('keeps the whole group when rounding or the minimum leave nothing smaller', () => {
    expect(keepCandidates(6, { roundTo: 8 })).toEqual([6]);
    expect(keepCandidates(6, { minChannels: 10 })).toEqual([6]);
  });
  it('rejects bad rounding', () => {
    expect(() => keepCandidates(8, { roundTo: 0 })).toThrow(/roundTo/);
    expect(() => keepCandidates(0)).toThrow(/channels/);
  });
});

describe('keepCount', () => {
  it('picks the candidate nearest to keep × channels (ties up)', () => {
    expect(keepCount(64, 0.3, { roundTo: 8 })).toBe(16);
    expect(keepCount(64, 0.25)).toBe(16);
    expect(keepCount(64, 0.01)).toBe(1);
    expect(keepCount(16, 0.75, { roundTo: 8 })).toBe(16);
    expect(keepCount(10, 0.05)).toBe(1);
  });
  it('is idempotent on its own results for every size, ratio and rounding', () => {
    for (const channels of [1, 3, 7, 16, 30, 64, 255, 1000]) {
      for (const roundTo of [1, 4, 8]) {
        for (let r = 0.01; r <= 1; r += 0.037) {
          const k = keepCount(channels, r, { roundTo });
          expect(keepCount(channels, k / channels, { roundTo })).toBe(k);
          expect(keepCandidates(channels, { roundTo })).toContain(k);
        }
      }
    }
  });
  it('rejects ratios outside (0, 1]', () => {
    for (const bad of [0, -0.1, 1.5, Number.NaN]) {
      try {
        keepCount(8, bad);
        expect.unreachable();
      } catch (e) {
        expect(isMetacompressError(e, 'MC_INVALID_ARGUMENT')).toBe(true);
      }
    }
  });
});
