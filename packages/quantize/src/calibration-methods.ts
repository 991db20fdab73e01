import type { Histogram } from './histogram';
import { quantRange, type QuantDataType } from './qparams';

/** How an observer turns what it saw into a clipping range. */
export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy' | 'mse';

/** Every {@link CalibrationMethod}. */
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy', 'mse'];

/**
 * The quantization a range is chosen for: entropy and MSE calibration pick the clipping range that
 * is best for this many levels, symmetric or not.
 *
 * @example
 * const target: RangeTarget = { dataType: 'uint8' };
 */
export interface RangeTarget {
  dataType: QuantDataType;
  symmetric?: boolean;
  narrowRange?: boolean;
}

/** A real clipping range `[min, max]` (always containing 0). */
export interface RealRange {
  min: number;
  max: number;
}

const contain0 = (min: number, max: number): RealRange => ({ min: Math.min(min, 0), max: Math.max(max, 0) });

/**
 * The full observed range.
 *
 * @example
 * rangeMinMax(hist); // { min: hist.min, max: hist.max } widened to contain 0
 */
export function rangeMinMax(h: Histogram, target?: RangeTarget): RealRange {
  if (h.count === 0) return { min: 0, max: 0 };
  if (target?.symmetric) {
    const m = Math.max(-h.min, h.max, 0);
    return { min: -m, max: m };
  }
  return contain0(h.min, h.max);
}

/**
 * Clips the tails: the range holds `percentile` % of the values (of the magnitudes for a symmetric
 * target; each tail gets `100 − percentile` % otherwise). This is the "percentile" calibrator of
 * onnxruntime and of McKinstry et al., "Discovering Low-Precision Networks Close to Full-Precision
 * Networks for Efficient Inference" (2019).
 *
 * @example
 * rangePercentile(hist, 99.99, { dataType: 'uint8' });
 */
export function rangePercentile(h: Histogram, percentile: number, target?: RangeTarget): RealRange {
  if (h.count === 0) return { min: 0, max: 0 };
  const p = Math.min(Math.max(percentile, 0), 100) / 100;
  if (target?.symmetric) {
    const { counts, limit } = h.magnitudes();
    const m = Math.min(magnitudeQuantile(counts, limit, p, h.count), Math.max(-h.min, h.max));
    return { min: -m, max: m };
  }
  return contain0(h.quantile(1 - p), h.quantile(p));
}

function magnitudeQuantile(counts: Float64Array, limit: number, q: number, total: number): number {
  const target = q * total;
  const w = limit / counts.length;
  let acc = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (acc + c >= target && c > 0) return (i + (target - acc) / c) * w;
    acc += c;
  }
  return limit;
}

/**
 * The clipping threshold that minimizes the KL divergence between the distribution of magnitudes
 * (`counts` over `[0, limit)`) and its quantized version with `quantBins` levels, outliers folded
 * into the last bin — TensorRT's entropy calibration (Migacz, "8-bit Inference with TensorRT",
 * GTC 2017), as onnxruntime's and MXNet's calibrators implement it.
 *
 * @example
 * klThreshold(counts, 8, 128); // a value in (0, 8]
 */
export function klThreshold(counts: Float64Array, limit: number, quantBins: number): number {
  const nbins = counts.length;
  let last = nbins - 1;
  while (last > 0 && counts[last] === 0) last--;
  const binWidth = limit / nbins;
  if (last + 1 <= quantBins) return (last + 1) * binWidth;
  let total = 0;
  for (let i = 0; i < nbins; i++) total += counts[i];
  if (total === 0) return 0;
  // Suffix sums give the outlier mass beyond each candidate in O(1).
  const suffix = new Float64Array(nbins + 1);
  for (let i = nbins - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + counts[i];
  let best = Infinity;
  let bestI = last + 1;
  const q = new Float64Array(nbins);
  for (let i = quantBins; i <= last + 1; i++) {
    // Reference P: the first i bins, outliers added to the last one.
    const pLast = counts[i - 1] + suffix[i];
    // Candidate Q: the first i bins merged into quantBins levels, each level's mass spread over its non-empty bins.
    const merged = i / quantBins;
    for (let j = 0; j < quantBins; j++) {
      const start = Math.floor(j * merged);
      const stop = j === quantBins - 1 ? i : Math.floor((j + 1) * merged);
      let mass = 0;
      let nonEmpty = 0;
      for (let k = start; k < stop; k++) {
        const pk = k === i - 1 ? pLast : counts[k];
        mass += counts[k];
        if (pk > 0) nonEmpty++;
      }
      const share = nonEmpty > 0 ? mass / nonEmpty : 0;
      for (let k = start; k < stop; k++) q[k] = (k === i - 1 ? pLast : counts[k]) > 0 ? share : 0;
    }
    // KL(P || Q) over normalized distributions; a bin where Q is empty but P is not costs a lot (smoothed).
    const pSum = total;
    let qSum = 0;
    for (let k = 0; k < i; k++) qSum += q[k];
    if (qSum === 0) continue;
    let kl = 0;
    for (let k = 0; k < i; k++) {
      const pk = k === i - 1 ? pLast : counts[k];
      if (pk === 0) continue;
      const pn = pk / pSum;
      const qn = Math.max(q[k] / qSum, 1e-12);
      kl += pn * Math.log(pn / qn);
    }
    if (kl < best) {
      best = kl;
      bestI = i;
    }
  }
  return bestI * binWidth;
}

/**
 * The entropy (KL) range: symmetric targets threshold the magnitudes with half the levels;
 * asymmetric ones threshold each side that holds values, with all the levels for a one-sided
 * distribution (e.g. after ReLU) and half of them per side otherwise.
 *
 * @example
 * rangeEntropy(hist, { dataType: 'int8', symmetric: true });
 */
export function rangeEntropy(h: Histogram, target: RangeTarget): RealRange {
  if (h.count === 0) return { min: 0, max: 0 };
  const [qmin, qmax] = quantRange(target.dataType, target);
  const levels = qmax - qmin + 1;
  // Exact zeros (half of a ReLU's outputs, typically) are left out: zero is exact whatever the
  // threshold, and as a spike in the first bin it would drive the divergence towards the smallest
  // thresholds, which merge fewest bins into the first level.
  if (target.symmetric) {
    const { counts, limit } = h.magnitudes();
    counts[0] -= h.zeros;
    const t = Math.min(klThreshold(counts, limit, Math.floor(levels / 2)), Math.max(-h.min, h.max));
    return { min: -t, max: t };
  }
  const hasPos = h.posLimit > 0;
  const hasNeg = h.negLimit > 0;
  const perSide = hasPos && hasNeg ? Math.floor(levels / 2) : levels;
  const max = hasPos ? Math.min(klThreshold(h.positive, h.posLimit, perSide), h.max) : 0;
  const min = hasNeg ? -Math.min(klThreshold(h.negative, h.negLimit, perSide), -h.min) : 0;
  return contain0(min, max);
}

/**
 * The range that minimizes the expected squared quantization error over the histogram: values
 * inside the range cost the rounding noise `scale² / 12`, clipped ones their squared distance to
 * the range. The full range is shrunk by a common factor (`steps` candidates in (0, 1]).
 *
 * @example
 * rangeMse(hist, { dataType: 'uint8' });
 */
export function rangeMse(h: Histogram, target: RangeTarget, steps = 200): RealRange {
  if (h.count === 0) return { min: 0, max: 0 };
  const [qmin, qmax] = quantRange(target.dataType, target);
  const full = target.symmetric ? rangeMinMax(h, target) : contain0(h.min, h.max);
  const sides: { counts: Float64Array; limit: number; sign: 1 | -1 }[] = [];
  if (target.symmetric) {
    const m = h.magnitudes();
    m.counts[0] -= h.zeros; // zeros are exact: no error
    sides.push({ counts: m.counts, limit: m.limit, sign: 1 });
  } else {
    if (h.posLimit > 0) sides.push({ counts: h.positive, limit: h.posLimit, sign: 1 });
    if (h.negLimit > 0) sides.push({ counts: h.negative, limit: h.negLimit, sign: -1 });
  }
  const nonZero = h.count - h.zeros;
  let best = Infinity;
  let bestRange = full;
  for (let k = 1; k <= steps; k++) {
    const f = k / steps;
    const lo = full.min * f;
    const hi = full.max * f;
    const span = target.symmetric ? 2 * Math.max(-lo, hi) : hi - lo;
    if (span <= 0) continue;
    const levels = target.symmetric ? 2 * Math.floor((qmax - qmin) / 2) : qmax - qmin;
    const scale = span / levels;
    const noise = (scale * scale) / 12;
    let err = 0;
    for (const side of sides) {
      const edge = side.sign === 1 ? (target.symmetric ? Math.max(-lo, hi) : hi) : -lo;
      const w = side.limit / side.counts.length;
      for (let i = 0; i < side.counts.length; i++) {
        const c = side.counts[i];
        if (c === 0) continue;
        const center = (i + 0.5) * w;
        err += center > edge ? c * (center - edge) ** 2 : c * noise;
      }
    }
    err /= Math.max(nonZero, 1);
    if (err < best) {
      best = err;
      bestRange = { min: lo, max: hi };
    }
  }
  return bestRange;
}
