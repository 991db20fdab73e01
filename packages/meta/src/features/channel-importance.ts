import { ErrorCodes, MetacompressError } from '@metacompress/core';
import {
  readGroupWeights,
  type CouplingGroup,
  type GraphBody,
  type GroupWeightSlice,
} from '@metacompress/ir';

/**
 * Per-channel L1 scores of a group and the magnitude of its producing weights.
 *
 * @example
 * const { scores, logScale }: ChannelImportance = channelImportance(graph, group);
 */
export interface ChannelImportance {
  /**
   * `scores[j]`: the L1 norm of channel `j` in each `output` slice (the producing filters, as Li et
   * al. rank them), each slice scaled to mean 1 over the group's channels, then averaged over the
   * slices — so that a residual stage's producers count equally whatever their fan-in. Mean 1
   * (all zeros when every producing weight is zero; all ones when the group has no output slice).
   */
  scores: Float64Array;
  /** ln(mean |w| · √fanIn) averaged over the output slices (fanIn: elements per channel); 0 without one. */
  logScale: number;
}

/**
 * Normalized per-channel L1 importance of a coupling group's channels, computed from its `output`
 * weight slices (Li et al., "Pruning Filters for Efficient ConvNets", ICLR 2017). Throws
 * `MC_NAN_WEIGHTS` naming the group and tensor when a weight is NaN or infinite.
 *
 * @example
 * const { scores } = channelImportance(graph, group);
 * scores.length === group.channels; // mean of scores is 1
 */
export function channelImportance(
  graph: GraphBody,
  group: CouplingGroup,
  weights?: readonly GroupWeightSlice[],
): ChannelImportance {
  const slices = (weights ?? readGroupWeights(graph, group)).filter((w) => w.slice.role === 'output');
  const c = group.channels;
  const scores = new Float64Array(c);
  if (slices.length === 0) return { scores: scores.fill(1), logScale: 0 };
  let used = 0;
  let logScale = 0;
  for (const { slice, channels } of slices) {
    const l1 = new Float64Array(c);
    let total = 0;
    let elements = 0;
    channels.forEach((v, j) => {
      let s = 0;
      for (let i = 0; i < v.length; i++) s += Math.abs(v[i]);
      if (!Number.isFinite(s)) {
        throw new MetacompressError(
          ErrorCodes.NAN_WEIGHTS,
          `channel ${j} of '${slice.tensor}' holds NaN or infinite values`,
          {
            group: group.id,
            node: slice.node,
            field: slice.tensor,
          },
        );
      }
      l1[j] = s;
      total += s;
      elements += v.length;
    });
    const fanIn = channels[0]?.length ?? 0;
    if (total > 0 && fanIn > 0) logScale += Math.log((total / elements) * Math.sqrt(fanIn));
    else logScale += -Infinity;
    if (total === 0) continue;
    used++;
    const mean = total / c;
    for (let j = 0; j < c; j++) scores[j] += l1[j] / mean;
  }
  if (used > 0) for (let j = 0; j < c; j++) scores[j] /= slices.length;
  return { scores, logScale: logScale / slices.length };
}

/**
 * Gini coefficient of non-negative values: 0 when all are equal, → 1 when one holds everything
 * (0 for an empty or all-zero input).
 *
 * @example
 * gini([1, 1, 1, 1]); // 0
 * gini([0, 0, 0, 4]); // 0.75
 */
export function gini(values: ArrayLike<number>): number {
  const n = values.length;
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    sum += sorted[i];
    weighted += (i + 1) * sorted[i];
  }
  if (n === 0 || sum <= 0) return 0;
  return (2 * weighted) / (n * sum) - (n + 1) / n;
}

/**
 * Shannon entropy of non-negative values taken as a distribution, divided by ln(n): 1 when all are
 * equal, 0 when one holds everything (1 for a single value or an all-zero input).
 *
 * @example
 * normalizedEntropy([2, 2, 2, 2]); // 1
 * normalizedEntropy([0, 0, 5]);    // 0
 */
export function normalizedEntropy(values: ArrayLike<number>): number {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  if (n <= 1 || sum <= 0) return 1;
  let h = 0;
  for (let i = 0; i < n; i++) {
    const p = values[i] / sum;
    if (p > 0) h -= p * Math.log(p);
  }
  return h / Math.log(n);
}
