import type { Graph } from '../graph';
import { analyzeChannels } from './engine';
import type { CouplingGroup, CouplingOptions } from './types';

/**
 * The prunable channel groups of a graph: which output channels of which Conv/ConvTranspose/Gemm/
 * MatMul must be removed together, and every constant slice (weights, biases, BN parameters,
 * per-channel operands, per-axis Q/DQ parameters) that shrinks with them. Channels are traced
 * through activations, pools, residual Add/Mul/Sub (merging groups), Concat and Split along
 * channels, Pad, Flatten→Gemm and provable Reshape/Transpose. Groups reaching a graph output, a
 * subgraph, an op without a channel rule or an unprovable reshape are reported with
 * `prunable: false` and a `reason` naming the node.
 *
 * This is DepGraph (Fang et al., "DepGraph: Towards Any Structural Pruning", CVPR 2023) on the
 * ONNX graph, at channel granularity: each channel is an atom, coupling is union-find, and a
 * group is a run of channel classes that touch the same tensors at consecutive positions.
 *
 * @example
 * const groups = analyzeCoupling(graph);
 * for (const g of groups.filter((g) => g.prunable)) {
 *   console.log(g.id, g.channels, g.slices.map((s) => `${s.tensor}@${s.axis}`));
 * }
 */
export function analyzeCoupling(graph: Graph, options: CouplingOptions = {}): CouplingGroup[] {
  return analyzeChannels(graph, options).groups.map((g) => g.group);
}
