/**
 * A histogram of real values that grows with the data: positive and negative values are counted
 * on two sides anchored at zero, each side with `bins` bins over `[0, limit)` where `limit` is a
 * power of two. When a larger magnitude arrives the side's limit doubles (as often as needed) and
 * neighbouring bins merge, so counts are never re-estimated and the resolution stays between
 * `bins / 2` and `bins` bins over the side's range. Exact zeros, min and max are tracked apart.
 *
 * @example
 * const h = new Histogram(2048);
 * h.add(Float32Array.of(0.5, -1, 3));
 * h.max; // 3
 * h.quantile(0.5); // ≈ 0.5
 */
export class Histogram {
  readonly bins: number;
  /** Counts of positive values (`positive[i]` counts values in `[i, i + 1) · posLimit / bins`). */
  positive: Float64Array;
  /** Counts of negative values by magnitude, same layout with `negLimit`. */
  negative: Float64Array;
  posLimit = 0;
  negLimit = 0;
  zeros = 0;
  count = 0;
  min = Infinity;
  max = -Infinity;
  /** Values that were NaN or infinite (never counted in bins). */
  nonFinite = 0;

  constructor(bins = 2048) {
    if (!Number.isInteger(bins) || bins < 2 || (bins & (bins - 1)) !== 0)
      throw new RangeError(`bins must be a power of two ≥ 2, got ${bins}`);
    this.bins = bins;
    this.positive = new Float64Array(bins);
    this.negative = new Float64Array(bins);
  }

  /**
   * Adds values. For per-channel use, `runs` selects runs of `length` consecutive elements starting
   * at `offset`, `offset + stride`, … (channel `c` of an NCHW tensor: offset `c·HW`, length `HW`,
   * stride `C·HW`); by default every element is added.
   */
  add(values: ArrayLike<number>, runs?: { offset: number; length: number; stride: number }): void {
    const offset = runs?.offset ?? 0;
    const length = runs?.length ?? values.length;
    const stride = runs?.stride ?? Math.max(values.length, 1);
    let posMax = 0;
    let negMax = 0;
    for (let i = offset; i < values.length; i += stride) {
      for (let j = i, end = Math.min(i + length, values.length); j < end; j++) {
        const v = values[j];
        if (v > posMax) {
          if (v !== Infinity) posMax = v;
        } else if (-v > negMax && v !== -Infinity) negMax = -v;
      }
    }
    if (posMax > 0) this.ensure('positive', posMax);
    if (negMax > 0) this.ensure('negative', negMax);
    const pScale = this.posLimit > 0 ? this.bins / this.posLimit : 0;
    const nScale = this.negLimit > 0 ? this.bins / this.negLimit : 0;
    const last = this.bins - 1;
    for (let i = offset; i < values.length; i += stride) {
      for (let j = i, end = Math.min(i + length, values.length); j < end; j++) {
        const v = values[j];
        if (v > 0 && v !== Infinity) {
          const b = Math.floor(v * pScale);
          this.positive[b > last ? last : b]++;
        } else if (v < 0 && v !== -Infinity) {
          const b = Math.floor(-v * nScale);
          this.negative[b > last ? last : b]++;
        } else if (v === 0) this.zeros++;
        else {
          this.nonFinite++;
          continue;
        }
        if (v < this.min) this.min = v;
        if (v > this.max) this.max = v;
        this.count++;
      }
    }
  }

  private ensure(side: 'positive' | 'negative', magnitude: number): void {
    if (!Number.isFinite(magnitude)) return;
    const key = side === 'positive' ? 'posLimit' : 'negLimit';
    let limit = this[key];
    if (limit === 0) {
      this[key] = nextPowerOfTwoAbove(magnitude);
      return;
    }
    if (magnitude < limit) return;
    let factor = 1;
    while (magnitude >= limit) {
      limit *= 2;
      factor *= 2;
    }
    const counts = this[side];
    const merged = new Float64Array(this.bins);
    for (let i = 0; i < this.bins; i++) merged[Math.floor(i / factor)] += counts[i];
    this[side] = merged;
    this[key] = limit;
  }

  /**
   * Magnitudes of both sides on one common grid (`limit` the larger of the two limits), as used by
   * symmetric calibration: `counts[i]` counts |x| in `[i, i + 1) · limit / bins`, zeros in bin 0.
   */
  magnitudes(): { counts: Float64Array; limit: number } {
    const limit = Math.max(this.posLimit, this.negLimit);
    const counts = new Float64Array(this.bins);
    counts[0] += this.zeros;
    for (const [side, sideLimit] of [
      [this.positive, this.posLimit],
      [this.negative, this.negLimit],
    ] as const) {
      if (sideLimit === 0) continue;
      const factor = Math.round(limit / sideLimit);
      for (let i = 0; i < this.bins; i++) counts[Math.floor(i / factor)] += side[i];
    }
    return { counts, limit };
  }

  /**
   * The value below which a fraction `q` of the values lies (linear within a bin).
   *
   * @example
   * h.quantile(0.9999); // the 99.99th percentile
   */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const target = Math.min(Math.max(q, 0), 1) * this.count;
    let acc = 0;
    // Negative side from the most negative bin up to zero.
    if (this.negLimit > 0) {
      const w = this.negLimit / this.bins;
      for (let i = this.bins - 1; i >= 0; i--) {
        const c = this.negative[i];
        if (acc + c >= target && c > 0) return Math.max(this.min, -(i + 1 - (target - acc) / c) * w);
        acc += c;
      }
    }
    if (acc + this.zeros >= target) return 0;
    acc += this.zeros;
    if (this.posLimit > 0) {
      const w = this.posLimit / this.bins;
      for (let i = 0; i < this.bins; i++) {
        const c = this.positive[i];
        if (acc + c >= target && c > 0) return Math.min(this.max, (i + (target - acc) / c) * w);
        acc += c;
      }
    }
    return this.max;
  }

  /** Adds another histogram's counts (merging bins to the larger limit of each side). */
  merge(other: Histogram): void {
    if (other.bins !== this.bins)
      throw new RangeError(`cannot merge histograms of ${other.bins} and ${this.bins} bins`);
    for (const side of ['positive', 'negative'] as const) {
      const key = side === 'positive' ? 'posLimit' : 'negLimit';
      const otherLimit = other[key];
      if (otherLimit === 0) continue;
      this.ensure(side, otherLimit / 2);
      if (this[key] === 0) this[key] = otherLimit;
      const factor = Math.round(this[key] / otherLimit);
      for (let i = 0; i < this.bins; i++) this[side][Math.floor(i / factor)] += other[side][i];
    }
    this.zeros += other.zeros;
    this.count += other.count;
    this.nonFinite += other.nonFinite;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }
}

/** Smallest power of two strictly above `x` (x > 0). */
function nextPowerOfTwoAbove(x: number): number {
  let p = 2 ** Math.floor(Math.log2(x));
  while (p <= x) p *= 2;
  while (p / 2 > x) p /= 2;
  return p;
}
