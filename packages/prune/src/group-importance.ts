import {
  nodeLabel,
  readGroupWeights,
  type ChannelSliceRole,
  type CouplingGroup,
  type Graph,
  type GroupWeightSlice,
  type Node,
} from '@metacompress/ir';

/** A group weight slice with the node that reads it and the input position it is read at. */
export interface ReadSlice extends GroupWeightSlice {
  /** The node that reads the slice's tensor (undefined if the label cannot be found). */
  reader?: Node;
  /** Position of the tensor among the reader's inputs (−1 when read through a DequantizeLinear or an alias). */
  inputIndex: number;
}

/**
 * Reads every weight slice of a group as per-channel vectors (see `readGroupWeights`), with the
 * node that reads each one, so a criterion can tell a BatchNormalization scale (input 1) from its
 * bias, mean and variance.
 *
 * @example
 * const gammas = readSlices(graph, group).filter((s) => s.reader?.opType === 'BatchNormalization' && s.inputIndex === 1);
 */
export function readSlices(graph: Graph, group: CouplingGroup): ReadSlice[] {
  const byLabel = new Map<string, Node>();
  graph.nodes.forEach((n, i) => byLabel.set(nodeLabel(n, i), n));
  return readGroupWeights(graph, group).map((w) => {
    const reader = byLabel.get(w.slice.node);
    return { ...w, reader, inputIndex: reader ? reader.inputs.indexOf(w.slice.tensor) : -1 };
  });
}

/**
 * Group importance from per-slice scores: each slice's scores are divided by their mean (so a
 * 3×3×64 input slice and a 1×1×8 output slice weigh the same), then averaged over the slices.
 * Slices whose scores are all zero (or that are missing) are skipped; a group with no usable
 * slice scores 0 everywhere. This is Torch-Pruning's "mean over normalized slices" (Fang et al.
 * 2023), which keeps the ranking of a one-layer group identical to the layer's own ranking.
 *
 * @example
 * aggregateSlices([new Float64Array([1, 3]), new Float64Array([10, 10])], 2); // Float64Array [0.75, 1.25]
 */
export function aggregateSlices(
  perSlice: readonly (Float64Array | undefined)[],
  channels: number,
): Float64Array {
  const out = new Float64Array(channels);
  let used = 0;
  for (const s of perSlice) {
    if (!s) continue;
    let mean = 0;
    for (let j = 0; j < channels; j++) mean += s[j];
    mean /= channels;
    if (!(mean > 0) || !Number.isFinite(mean)) continue;
    for (let j = 0; j < channels; j++) out[j] += s[j] / mean;
    used++;
  }
  if (used > 0) for (let j = 0; j < channels; j++) out[j] /= used;
  return out;
}

/** The weight roles magnitude-style criteria read by default: producers' filters and consumers' input channels. */
export const WEIGHT_ROLES: readonly ChannelSliceRole[] = ['output', 'input'];

/**
 * Scores a group with a per-channel function of each slice's channel vector, aggregated with
 * {@link aggregateSlices}. `roles` picks the slices (default: `output` and `input` weights).
 *
 * @example
 * const l1 = sliceScores(graph, group, (v) => v.reduce((a, x) => a + Math.abs(x), 0));
 */
export function sliceScores(
  graph: Graph,
  group: CouplingGroup,
  local: (channel: Float32Array, slice: ReadSlice) => number,
  roles: readonly ChannelSliceRole[] = WEIGHT_ROLES,
): Float64Array {
  const per = readSlices(graph, group)
    .filter((s) => roles.includes(s.slice.role))
    .map((s) => Float64Array.from(s.channels, (v) => local(v, s)));
  return aggregateSlices(per, group.channels);
}
