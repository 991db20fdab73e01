import { describe, expect, it } from 'vitest';
import { klThreshold, rangeEntropy, rangeMse, rangePercentile } from './calibration-methods';
import { Histogram } from './histogram';
import { createObserver } from './observer';
import { dequantizeValues, quantizeValues } from './qparams';
import { randomValues, thrownBy } from './test-helpers';

/** Roughly normal values (sum of uniforms), all ≥ 0 after a ReLU, plus one planted outlier. */
function reluWithOutlier(n: number, outlier: number): Float32Array {
  const a = randomValues(n, 11);
  const b = randomValues(n, 12);
  const c = randomValues(n, 13);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.max(0, a[i] + b[i] + c[i]);
  out[n >> 1] = outlier;
  return out;
}

function errors(
  values: Float32Array,
  method: 'minmax' | 'percentile' | 'entropy' | 'mse',
): { max: number; mse: number; total: number } {
  const obs = createObserver({ method });
  obs.observe(values);
  const p = obs.params({ dataType: 'uint8' });
  const back = dequantizeValues(quantizeValues(values, p), p);
  let bulk = 0;
  let bulkCount = 0;
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const e = (back[i] - values[i]) ** 2;
    total += e;
    if (values[i] < 10) {
      bulk += e;
      bulkCount++;
    }
  }
  return {
    max: obs.range({ dataType: 'uint8' }).max[0],
    mse: bulk / bulkCount,
    total: total / values.length,
  };
}

describe('calibration methods on a planted outlier', () => {
  const values = reluWithOutlier(50_000, 1000);

  it('min-max keeps the outlier, percentile and entropy clip it, MSE weighs it', () => {
    const r = Object.fromEntries(
      (['minmax', 'percentile', 'entropy', 'mse'] as const).map((m) => [m, errors(values, m)]),
    );
    expect(r.minmax.max).toBe(1000);
    // Clipping one value buys far finer steps for the other 49,999.
    expect(r.percentile.max).toBeLessThan(10);
    expect(r.percentile.max).toBeGreaterThan(1);
    expect(r.percentile.mse).toBeLessThan(r.minmax.mse / 100);
    // Entropy works on 2048 bins over the observed range (as TensorRT does), so with an outlier
    // 300× the bulk it cannot clip below 256 bins' worth, but it still clips most of the range.
    expect(r.entropy.max).toBeLessThan(250);
    expect(r.entropy.mse).toBeLessThan(r.minmax.mse / 10);
    // MSE minimizes the error over all values, the outlier's included: it has the least total error.
    for (const m of ['minmax', 'percentile', 'entropy'] as const)
      expect(r.mse.total).toBeLessThanOrEqual(r[m].total * 1.05);
    // And the four methods choose four measurably different ranges.
    const maxes = [r.minmax.max, r.percentile.max, r.entropy.max, r.mse.max];
    expect(new Set(maxes.map((x) => x.toFixed(1))).size).toBe(4);
  });

  it('entropy clips a moderate outlier tightly', () => {
    const r = errors(reluWithOutlier(50_000, 20), 'entropy');
    expect(r.max).toBeLessThan(5);
    expect(r.max).toBeGreaterThan(1.5);
  });

  it('keeps a zero lower bound for non-negative data (uint8 zero point 0)', () => {
    for (const method of ['minmax', 'percentile', 'entropy', 'mse'] as const) {
      const obs = createObserver({ method });
      obs.observe(values);
      expect(obs.range({ dataType: 'uint8' }).min[0]).toBe(0);
      expect(obs.params({ dataType: 'uint8' }).zeroPoint[0]).toBe(0);
    }
  });
});

describe('calibration method details', () => {
  it('MSE clips a long thin tail when levels are few, and beats min-max on squared error', () => {
    const u = randomValues(50_000, 21);
    const expo = Float32Array.from(u, (x) => -Math.log((x + 1) / 2 + 1e-9)); // exponential, max ≈ 11
    const target = { dataType: 'uint4' as const };
    const err = (method: 'minmax' | 'mse'): { max: number; total: number } => {
      const obs = createObserver({ method });
      obs.observe(expo);
      const p = obs.params(target);
      const back = dequantizeValues(quantizeValues(expo, p), p);
      let total = 0;
      for (let i = 0; i < expo.length; i++) total += (back[i] - expo[i]) ** 2;
      return { max: obs.range(target).max[0], total };
    };
    const mm = err('minmax');
    const ms = err('mse');
    expect(ms.max).toBeLessThan(mm.max * 0.8);
    expect(ms.total).toBeLessThan(mm.total * 0.8);
  });

  it('percentile keeps the requested share', () => {
    const h = new Histogram();
    h.add(Float32Array.from({ length: 10000 }, (_, i) => i / 100)); // 0 .. 99.99
    expect(rangePercentile(h, 90).max).toBeCloseTo(90, 0);
    expect(rangePercentile(h, 90, { dataType: 'int8', symmetric: true }).min).toBeCloseTo(-90, 0);
  });

  it('the KL threshold of a distribution without tails stays near its end', () => {
    const counts = new Float64Array(2048);
    for (let i = 0; i < 1024; i++) counts[i] = 100;
    const t = klThreshold(counts, 2048, 128);
    expect(t).toBeGreaterThan(900);
    expect(t).toBeLessThanOrEqual(1024);
  });

  it('entropy and MSE handle two-sided and symmetric targets', () => {
    const h = new Histogram();
    h.add(randomValues(20000, 5, 3));
    const sym = rangeEntropy(h, { dataType: 'int8', symmetric: true });
    expect(sym.min).toBe(-sym.max);
    const asym = rangeEntropy(h, { dataType: 'uint8' });
    expect(asym.min).toBeLessThan(0);
    expect(asym.max).toBeGreaterThan(0);
    const m = rangeMse(h, { dataType: 'int8', symmetric: true });
    expect(m.max).toBeGreaterThan(2);
    expect(m.max).toBeLessThanOrEqual(3);
  });

  it('empty observers give an all-zero range', () => {
    const obs = createObserver({ method: 'entropy' });
    expect(obs.range({ dataType: 'uint8' }).max[0]).toBe(0);
    expect(obs.count).toBe(0);
  });
});

describe('createObserver', () => {
  it('observes per channel along an axis', () => {
    const obs = createObserver({ axis: 1 });
    // [1, 2, 2]: channel 0 = [1, -2], channel 1 = [5, 3]
    obs.observe(Float32Array.of(1, -2, 5, 3), [1, 2, 2]);
    const r = obs.range({ dataType: 'int8' });
    expect(Array.from(r.min)).toEqual([-2, 0]);
    expect(Array.from(r.max)).toEqual([1, 5]);
    expect(r.axis).toBe(1);
    expect(obs.params({ dataType: 'int8', symmetric: true }).scale.length).toBe(2);
    expect(thrownBy(() => obs.observe(Float32Array.of(1, 2, 3), [1, 3, 1])).code).toBe('MC_SHAPE_MISMATCH');
    expect(thrownBy(() => obs.observe(Float32Array.of(1))).code).toBe('MC_INVALID_ARGUMENT');
  });

  it('rejects unknown methods and bad percentiles', () => {
    expect(thrownBy(() => createObserver({ method: 'kl' as 'entropy' })).code).toBe('MC_INVALID_ARGUMENT');
    expect(thrownBy(() => createObserver({ method: 'percentile', percentile: 0 })).details.field).toBe(
      'percentile',
    );
  });

  it('counts non-finite values without using them', () => {
    const obs = createObserver();
    obs.observe(Float32Array.of(1, Number.NaN, 2));
    expect(obs.nonFinite).toBe(1);
    expect(obs.range({ dataType: 'uint8' }).max[0]).toBe(2);
  });
});
