import { defineCriterion, type Criterion } from '../criterion';
import { sliceScores } from '../group-importance';

function sumAbs(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.abs(v[i]);
  return s;
}

function norm2(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/**
 * L1-norm magnitude: a channel's importance is the sum of |w| over its filter (the producer's
 * output slice) and over the consumers' input slices, aggregated over the group as the mean of
 * slice-normalized scores (see `aggregateSlices`). Li et al., "Pruning Filters for Efficient
 * ConvNets", ICLR 2017 (filters only; coupled slices as in Torch-Pruning, Fang et al. 2023).
 *
 * @example
 * await compress(graph, [channelPrune.with({ criterion: l1Magnitude })], { policy });
 */
export const l1Magnitude: Criterion = defineCriterion({
  name: 'l1',
  description: 'L1 norm of each channel’s weights (Li et al. 2017), over every coupled slice',
  score: (graph, groups) => new Map(groups.map((g) => [g.id, sliceScores(graph, g, sumAbs)])),
});

/**
 * L2-norm magnitude: like {@link l1Magnitude} with the Euclidean norm of each channel's weights.
 *
 * @example
 * await compress(graph, [channelPrune.with({ criterion: 'l2' })], { policy });
 */
export const l2Magnitude: Criterion = defineCriterion({
  name: 'l2',
  description: 'L2 norm of each channel’s weights, over every coupled slice',
  score: (graph, groups) => new Map(groups.map((g) => [g.id, sliceScores(graph, g, norm2)])),
});
