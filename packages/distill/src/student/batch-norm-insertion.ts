import { DataType, createTensor, type Graph, type Node, type Tensor } from '@metacompress/ir';

/**
 * Per-channel mean and variance of a value (axis 1), e.g. measured on a few batches.
 *
 * @example
 * const s: ChannelStats = { mean: new Float32Array(16), variance: new Float32Array(16).fill(1) };
 */
export interface ChannelStats {
  mean: Float32Array;
  variance: Float32Array;
}

/**
 * Suffix of the renamed convolution outputs that {@link insertBatchNorm} feeds into new BN nodes.
 *
 * @example
 * `${value}${PRE_BN_SUFFIX}`; // what the convolution writes after insertBatchNorm
 */
export const PRE_BN_SUFFIX = '__pre_bn';

/**
 * Convolutions whose output does not already go (alone) into a BatchNormalization: where
 * {@link insertBatchNorm} adds one. Returns their output value names.
 *
 * @example
 * convOutputsWithoutBatchNorm(foldedResnet).length; // 15 (every Conv of the folded ResNet fixture)
 */
export function convOutputsWithoutBatchNorm(graph: Graph): string[] {
  const readers = new Map<string, Node[]>();
  for (const n of graph.nodes)
    for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  const outputs = new Set(graph.outputs.map((o) => o.name));
  return graph.nodes
    .filter((n) => n.opType === 'Conv' && (n.domain === '' || n.domain === 'ai.onnx') && n.outputs[0])
    .map((n) => n.outputs[0]!)
    .filter((v) => {
      const r = readers.get(v) ?? [];
      return (
        !outputs.has(v) && !(r.length === 1 && r[0]!.opType === 'BatchNormalization' && r[0]!.inputs[0] === v)
      );
    });
}

/**
 * Adds a BatchNormalization (Ioffe & Szegedy 2015) after each listed convolution output, so that a
 * BN-folded network can be fine-tuned with batch statistics (much faster recovery after pruning),
 * and folded back afterwards (`foldBatchNorm` of `@metacompress/ir`). The BN takes over the
 * value's name (the convolution now writes `<value>__pre_bn`), so readers, hint points and the
 * folded result keep every name. With `stats` of the convolution output the BN starts
 * function-preserving: running mean μ, variance σ², scale √(σ² + ε), bias μ — the identity in
 * inference mode and close to it with batch statistics. Without stats: identity parameters.
 *
 * @example
 * const trainable = insertBatchNorm(pruned, convOutputsWithoutBatchNorm(pruned), stats);
 */
export function insertBatchNorm(
  graph: Graph,
  values: readonly string[],
  stats: ReadonlyMap<string, ChannelStats> = new Map(),
  options: { epsilon?: number; momentum?: number } = {},
): Graph {
  const epsilon = options.epsilon ?? 1e-5;
  const momentum = options.momentum ?? 0.9;
  const wanted = new Set(values);
  const nodes: Node[] = [];
  const initializers: Tensor[] = [...graph.initializers];
  const channelsOf = (n: Node): number =>
    graph.initializers.find((t) => t.name === n.inputs[1])?.dims[0] ?? 0;
  for (const n of graph.nodes) {
    const v = n.outputs[0];
    if (!v || n.opType !== 'Conv' || !wanted.has(v) || channelsOf(n) === 0) {
      nodes.push(n);
      continue;
    }
    const c = channelsOf(n);
    const s = stats.get(v);
    const mean = s?.mean ?? new Float32Array(c);
    const variance = s?.variance ?? new Float32Array(c).fill(1 - epsilon);
    const scale = Float32Array.from(variance, (x) => Math.sqrt(x + epsilon));
    const base = `${v}__bn`;
    const pre = `${v}${PRE_BN_SUFFIX}`;
    initializers.push(
      createTensor(`${base}.scale`, DataType.FLOAT, [c], scale),
      createTensor(`${base}.bias`, DataType.FLOAT, [c], Float32Array.from(mean)),
      createTensor(`${base}.mean`, DataType.FLOAT, [c], Float32Array.from(mean)),
      createTensor(`${base}.var`, DataType.FLOAT, [c], Float32Array.from(variance)),
    );
    nodes.push({ ...n, outputs: [pre, ...n.outputs.slice(1)] });
    nodes.push({
      name: `${n.name || v}__bn`,
      opType: 'BatchNormalization',
      domain: '',
      inputs: [pre, `${base}.scale`, `${base}.bias`, `${base}.mean`, `${base}.var`],
      outputs: [v],
      attributes: {
        epsilon: { type: 'float', value: epsilon },
        momentum: { type: 'float', value: momentum },
      },
    });
  }
  return { ...graph, nodes, initializers };
}
