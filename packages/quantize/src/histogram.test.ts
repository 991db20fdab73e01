import { describe, expect, it } from 'vitest';
import { Histogram } from './histogram';
import { randomValues } from './test-helpers';

describe('Histogram', () => {
  it('counts every finite value once, zeros apart, and tracks min and max', () => {
    const h = new Histogram(64);
    h.add(Float32Array.of(0, 0.5, -0.25, 3, Number.NaN, Infinity));
    expect(h.count).toBe(4);
    expect(h.zeros).toBe(1);
    expect(h.nonFinite).toBe(2);
    expect(h.min).toBe(-0.25);
    expect(h.max).toBe(3);
    const total = h.positive.reduce((a, b) => a + b, 0) + h.negative.reduce((a, b) => a + b, 0) + h.zeros;
    expect(total).toBe(4);
  });

  it('doubles its range by merging bins without losing counts', () => {
    const h = new Histogram(16);
    h.add(Float32Array.of(0.1, 0.2, 0.3));
    const before = h.posLimit;
    h.add(Float32Array.of(100));
    expect(h.posLimit).toBeGreaterThan(100);
    expect(h.posLimit / before).toBe(2 ** Math.round(Math.log2(h.posLimit / before)));
    expect(h.positive.reduce((a, b) => a + b, 0)).toBe(4);
    expect(h.positive[0]).toBe(3); // the three small values merged into the first bin
  });

  it('has quantiles within one bin of the exact ones', () => {
    const xs = randomValues(20000, 7, 4);
    const h = new Histogram(2048);
    for (let i = 0; i < xs.length; i += 1000) h.add(xs.subarray(i, i + 1000));
    const sorted = Float32Array.from(xs).sort();
    for (const q of [0.01, 0.25, 0.5, 0.9, 0.999]) {
      const exact = sorted[Math.floor(q * (sorted.length - 1))];
      expect(Math.abs(h.quantile(q) - exact)).toBeLessThan((2 * h.posLimit) / h.bins + 1e-3);
    }
  });

  it('adds runs of a tensor for per-channel use', () => {
    // NCHW [2, 2, 1, 2]: channel 1 holds 10, 11, 12, 13.
    const x = Float32Array.of(1, 2, 10, 11, 3, 4, 12, 13);
    const h = new Histogram(16);
    h.add(x, { offset: 2, length: 2, stride: 4 });
    expect(h.count).toBe(4);
    expect(h.min).toBe(10);
    expect(h.max).toBe(13);
  });

  it('gives magnitudes of both sides on one grid and merges histograms', () => {
    const a = new Histogram(32);
    a.add(Float32Array.of(-3, 1, 0));
    const m = a.magnitudes();
    expect(m.counts.reduce((x, y) => x + y, 0)).toBe(3);
    expect(m.limit).toBe(4);
    const b = new Histogram(32);
    b.add(Float32Array.of(50, -0.5));
    a.merge(b);
    expect(a.count).toBe(5);
    expect(a.max).toBe(50);
    expect(a.positive.reduce((x, y) => x + y, 0)).toBe(2);
    expect(() => new Histogram(10)).toThrow(/power of two/);
  });
});
