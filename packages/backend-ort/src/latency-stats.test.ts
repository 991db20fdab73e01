import { describe, expect, it } from 'vitest';
import { isMetacompressError } from '@metacompress/core';
import { quantile, summarizeLatencies } from './latency-stats';

describe('latency statistics', () => {
  it('interpolates quantiles between ranks', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(quantile(values, 0.5)).toBeCloseTo(5.5, 12);
    expect(quantile(values, 0.1)).toBeCloseTo(1.9, 12);
    expect(quantile(values, 0.9)).toBeCloseTo(9.1, 12);
    expect(quantile([4], 0.3)).toBe(4);
    expect(quantile(values, 0)).toBe(1);
    expect(quantile(values, 1)).toBe(10);
  });

  it('summarizes unsorted samples without changing them', () => {
    const samples = [5, 1, 9, 3, 7];
    const stats = summarizeLatencies(samples, 64);
    expect(stats).toEqual({ batchSize: 64, runs: 5, medianMs: 5, p10Ms: 1.8, p90Ms: 8.2, minMs: 1, maxMs: 9 });
    expect(samples).toEqual([5, 1, 9, 3, 7]);
  });

  it('refuses an empty sample', () => {
    let error: unknown;
    try {
      summarizeLatencies([], 1);
    } catch (e) {
      error = e;
    }
    expect(isMetacompressError(error, 'MC_INVALID_ARGUMENT')).toBe(true);
  });
});
