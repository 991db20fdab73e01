import { ErrorCodes, MetacompressError } from '@metacompress/core';

/** Result of {@link bisectMonotone}: the tightest bracket found around the target. */
export interface BisectResult {
  /** Largest parameter seen whose value is ≤ the target (or `lo` when none is). */
  below: number;
  /** Smallest parameter seen whose value is ≥ the target (or `hi` when none is). */
  above: number;
  /** `f(below)` and `f(above)`. */
  valueBelow: number;
  valueAbove: number;
}

/**
 * Bisection on a non-decreasing function (it may be a step function, as costs of rounded channel
 * counts are): brackets the parameter where `f` crosses `target` within `[lo, hi]`.
 *
 * @example
 * const r = bisectMonotone((x) => Math.floor(x * 10), 4, 0, 1); // r.below ≈ 0.5, r.valueBelow = 4
 */
export function bisectMonotone(
  f: (x: number) => number,
  target: number,
  lo: number,
  hi: number,
  options: { iterations?: number } = {},
): BisectResult {
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `bisection needs finite lo ≤ hi, got [${lo}, ${hi}]`,
      { field: 'range' },
    );
  }
  const iterations = options.iterations ?? 50;
  let below = lo;
  let valueBelow = f(lo);
  let above = hi;
  let valueAbove = f(hi);
  if (valueBelow >= target) return { below: lo, above: lo, valueBelow, valueAbove: valueBelow };
  if (valueAbove <= target) return { below: hi, above: hi, valueBelow: valueAbove, valueAbove };
  for (let i = 0; i < iterations && above - below > 1e-12; i++) {
    const mid = (below + above) / 2;
    const v = f(mid);
    if (v === target) return { below: mid, above: mid, valueBelow: v, valueAbove: v };
    if (v < target) {
      below = mid;
      valueBelow = v;
    } else {
      above = mid;
      valueAbove = v;
    }
  }
  return { below, above, valueBelow, valueAbove };
}
