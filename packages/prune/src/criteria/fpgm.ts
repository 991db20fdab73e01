import { defineCriterion, type Criterion } from '../criterion';
import { aggregateSlices, readSlices } from '../group-importance';

/**
 * Sum of Euclidean distances from each vector to all the others: small for vectors near the
 * geometric median (replaceable by the rest), large for outliers.
 *
 * @example
 * distanceSums([new Float32Array([0]), new Float32Array([1]), new Float32Array([2])]); // Float64Array [3, 2, 3]
 */
export function distanceSums(vectors: readonly Float32Array[]): Float64Array {
  const n = vectors.length;
  const out = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    const va = vectors[a];
    for (let b = a + 1; b < n; b++) {
      const vb = vectors[b];
      let s = 0;
      for (let i = 0; i < va.length; i++) {
        const d = va[i] - vb[i];
        s += d * d;
      }
      const d = Math.sqrt(s);
      out[a] += d;
      out[b] += d;
    }
  }
  return out;
}

/**
 * FPGM — filter pruning via geometric median: filters close to the geometric median of their
 * layer carry information the others already hold, so they go first, whatever their norm. A
 * channel's score is the sum of distances from its filter to every other filter of the same
 * producer (the usual approximation of distance to the median), normalized per producer and
 * averaged over the group's producers (residual groups have several). He et al., "Filter Pruning
 * via Geometric Median for Deep Convolutional Neural Networks Acceleration", CVPR 2019.
 *
 * @example
 * await compress(graph, [channelPrune.with({ criterion: fpgm })], { policy });
 */
export const fpgm: Criterion = defineCriterion({
  name: 'fpgm',
  description: 'distance to the other filters (geometric median; He et al. 2019)',
  score: (graph, groups) =>
    new Map(
      groups.map((g) => {
        const per = readSlices(graph, g)
          .filter((s) => s.slice.role === 'output')
          .map((s) => distanceSums(s.channels));
        return [g.id, aggregateSlices(per, g.channels)];
      }),
    ),
});
