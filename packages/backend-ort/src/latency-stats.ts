import type { LatencyStats } from '@metacompress/core';
import { ErrorCodes, MetacompressError } from '@metacompress/core';

/**
 * The q-quantile (0 ≤ q ≤ 1) of ascending `sorted` values, linearly interpolated between the two
 * nearest ranks (the rule numpy's `percentile` uses by default).
 *
 * @example
 * quantile([1, 2, 3, 4], 0.5); // 2.5
 */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'quantile of no values', { field: 'samples' });
  const position = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(position);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
}

/**
 * Summarizes timed runs (milliseconds) as core's {@link LatencyStats}: median, p10, p90, min and max.
 *
 * @example
 * summarizeLatencies([5.1, 4.9, 5.0], 64); // { batchSize: 64, runs: 3, medianMs: 5.0, minMs: 4.9, ... }
 */
export function summarizeLatencies(samplesMs: readonly number[], batchSize: number): LatencyStats {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    batchSize,
    runs: sorted.length,
    medianMs: quantile(sorted, 0.5),
    p10Ms: quantile(sorted, 0.1),
    p90Ms: quantile(sorted, 0.9),
    minMs: sorted[0],
    maxMs: sorted[sorted.length - 1],
  };
}
