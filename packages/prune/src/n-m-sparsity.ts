import { ErrorCodes, MetacompressError, defineOperator, option } from '@metacompress/core';
import {
  parseSelector,
  toFloat32,
  withFloat32,
  type Graph,
  type Selector,
  type Tensor,
} from '@metacompress/ir';
import { replaceWeights, type SparseStorage } from './magnitude-sparsity';
import { weightTargets } from './weight-targets';

/** Options of {@link sparsifyNM}. */
export interface NMSparsityOptions {
  /** Weights kept per block (default 2). */
  n?: number;
  /** Block length along the reduction axis (default 4). */
  m?: number;
  /** Which layers (default: every Conv, ConvTranspose, Gemm and MatMul with a float32 initializer weight). */
  selector?: Selector;
  storage?: SparseStorage;
}

/** One layer's outcome; `skipped` says why a layer was left dense. */
export interface NMLayer {
  node: string;
  tensor: string;
  elements: number;
  kept: number;
  skipped?: string;
}

/**
 * N:M fine-grained structured sparsity: along the axis each layer sums over (a Conv's input
 * channels, a Gemm/MatMul's K), every block of M consecutive weights keeps its N largest |w|
 * (2:4 is what NVIDIA Ampere sparse tensor cores run; Mishra et al., "Accelerating Sparse Deep
 * Neural Networks", 2021; Zhou et al., "Learning N:M Fine-grained Structured Sparse Neural
 * Networks From Scratch", ICLR 2021). A final block shorter than M keeps ⌈N·len/M⌉. Layers whose
 * reduction axis is shorter than M (e.g. depthwise convs) are left dense and reported as skipped. Pure.
 *
 * @example
 * const { graph: sparse, layers } = sparsifyNM(graph, { n: 2, m: 4 });
 */
export function sparsifyNM(
  graph: Graph,
  options: NMSparsityOptions = {},
): { graph: Graph; layers: NMLayer[] } {
  const n = options.n ?? 2;
  const m = options.m ?? 4;
  if (!Number.isInteger(m) || m < 1 || !Number.isInteger(n) || n < 1 || n > m) {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `N:M needs integers 1 ≤ N ≤ M, got ${n}:${m}`, {
      field: 'n',
    });
  }
  const replaced = new Map<string, Tensor>();
  const layers: NMLayer[] = [];
  for (const t of weightTargets(graph, options.selector)) {
    const dims = t.tensor.dims;
    const len = dims[t.reductionAxis];
    const v = toFloat32(t.tensor);
    if (len < m) {
      layers.push({
        node: t.node,
        tensor: t.tensor.name,
        elements: v.length,
        kept: v.length,
        skipped: `reduction axis ${t.reductionAxis} has ${len} < ${m} elements`,
      });
      continue;
    }
    let inner = 1;
    for (let i = t.reductionAxis + 1; i < dims.length; i++) inner *= dims[i];
    const outer = v.length / (len * inner);
    const out = new Float32Array(v.length);
    let kept = 0;
    const block: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        for (let start = 0; start < len; start += m) {
          const size = Math.min(m, len - start);
          const keep = size === m ? n : Math.ceil((n * size) / m);
          block.length = 0;
          for (let k = 0; k < size; k++) block.push((o * len + start + k) * inner + i);
          block.sort((a, b) => Math.abs(v[b]) - Math.abs(v[a]) || a - b);
          for (let k = 0; k < keep; k++) out[block[k]] = v[block[k]];
          kept += keep;
        }
      }
    }
    replaced.set(t.tensor.name, withFloat32(t.tensor, dims, out));
    layers.push({ node: t.node, tensor: t.tensor.name, elements: v.length, kept });
  }
  return { graph: replaceWeights(graph, replaced, options.storage), layers };
}

/**
 * The N:M sparsity operator (see {@link sparsifyNM}); the policy is not consulted (N:M fixes the
 * density at N/M).
 *
 * @example
 * await compress(graph, [nmSparsity.with({ n: 2, m: 4 })], { policy: identityPolicy() });
 */
export const nmSparsity = defineOperator({
  name: 'nm-sparsity',
  description: 'N:M fine-grained structured sparsity (2:4, 4:8)',
  options: {
    n: option.integer('weights kept per block', 2, { min: 1 }),
    m: option.integer('block length along the reduction axis', 4, { min: 1 }),
    selector: option.custom<Selector>('which layers ({ opTypes, names, exclude })', {}, (v, path) =>
      parseSelector(v, path),
    ),
    storage: option.enum(
      'store pruned weights dense or as ONNX sparse initializers',
      ['dense', 'sparse'] as const,
      'dense',
    ),
  },
  apply(graph: Graph, _policy, _ctx, opts) {
    const result = sparsifyNM(graph, opts);
    return {
      graph: result.graph,
      report: { n: opts.n, m: opts.m, storage: opts.storage, layers: result.layers },
    };
  },
});
