import {
  ErrorCodes,
  MetacompressError,
  checkRatio,
  defineOperator,
  option,
  type Policy,
} from '@metacompress/core';
import {
  parseSelector,
  toFloat32,
  withFloat32,
  type Graph,
  type Selector,
  type Tensor,
} from '@metacompress/ir';
import { storeSparse } from './sparse-storage';
import { weightTargets } from './weight-targets';

/** How pruned weights are stored: dense float32 with zeros, or ONNX `sparse_initializer`s. */
export type SparseStorage = 'dense' | 'sparse';

/** Options of {@link sparsifyByMagnitude}. */
export interface MagnitudeSparsityOptions {
  /** Share of the weights to keep, in (0, 1] (e.g. 0.1 keeps 10 %). */
  keep: number;
  /** `layer`: every layer keeps `keep` of its weights; `global`: one threshold over all selected layers (default `layer`). */
  scope?: 'layer' | 'global';
  /** Per-layer keep ratios by node label (layer scope only); other layers use `keep`. */
  perLayer?: Readonly<Record<string, number>>;
  /** Which layers (default: every Conv, ConvTranspose, Gemm and MatMul with a float32 initializer weight). */
  selector?: Selector;
  /** `sparse` stores pruned weights as ONNX sparse initializers when that is smaller (default `dense`). */
  storage?: SparseStorage;
}

/** One layer's outcome. */
export interface LayerSparsity {
  node: string;
  tensor: string;
  elements: number;
  kept: number;
}

/**
 * Indices of the `count` largest |v|, as a mask (ties broken by position, so exactly `count` are kept).
 *
 * @example
 * topMagnitudeMask(new Float32Array([0.1, -3, 2, 0]), 2); // Uint8Array [0, 1, 1, 0]
 */
export function topMagnitudeMask(values: Float32Array, count: number): Uint8Array {
  const mask = new Uint8Array(values.length);
  if (count <= 0) return mask;
  if (count >= values.length) return mask.fill(1);
  const abs = Float32Array.from(values, Math.abs);
  const threshold = abs.slice().sort()[values.length - count];
  let above = 0;
  for (let i = 0; i < abs.length; i++) if (abs[i] > threshold) above++;
  let ties = count - above;
  for (let i = 0; i < abs.length; i++) {
    if (abs[i] > threshold) mask[i] = 1;
    else if (abs[i] === threshold && ties > 0) {
      mask[i] = 1;
      ties--;
    }
  }
  return mask;
}

function applyMask(t: Tensor, values: Float32Array, mask: Uint8Array): Tensor {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) if (mask[i]) out[i] = values[i];
  return withFloat32(t, t.dims, out);
}

/** Replaces initializers by name (pure), then stores them sparse when asked. */
export function replaceWeights(
  graph: Graph,
  replaced: ReadonlyMap<string, Tensor>,
  storage: SparseStorage = 'dense',
): Graph {
  const next: Graph = { ...graph, initializers: graph.initializers.map((t) => replaced.get(t.name) ?? t) };
  return storage === 'sparse' ? storeSparse(next, { tensors: [...replaced.keys()] }) : next;
}

/**
 * Unstructured magnitude pruning: zeroes the smallest-|w| weights of the selected layers, per
 * layer or with one global threshold (Han et al., "Learning both Weights and Connections for
 * Efficient Neural Networks", NeurIPS 2015). Shapes do not change; the saving is in storage
 * (compressed transfer, or `storage: 'sparse'`), not in dense MACs. Biases are left alone. Pure.
 *
 * @example
 * const { graph: sparse } = sparsifyByMagnitude(graph, { keep: 0.1, scope: 'global', storage: 'sparse' });
 */
export function sparsifyByMagnitude(
  graph: Graph,
  options: MagnitudeSparsityOptions,
): { graph: Graph; layers: LayerSparsity[] } {
  checkRatio(options.keep, 'keep');
  const scope = options.scope ?? 'layer';
  const targets = weightTargets(graph, options.selector);
  const labels = new Set(targets.map((t) => t.node));
  for (const [layer, keep] of Object.entries(options.perLayer ?? {})) {
    if (!labels.has(layer)) {
      throw new MetacompressError(
        ErrorCodes.UNKNOWN_GROUP,
        `no selected layer '${layer}' (layers: ${[...labels].join(', ')})`,
        { group: layer, field: 'perLayer' },
      );
    }
    if (scope === 'global')
      throw new MetacompressError(ErrorCodes.POLICY_INVALID, 'per-layer keep ratios need scope "layer"', {
        group: layer,
        field: 'perLayer',
      });
    try {
      checkRatio(keep, `perLayer.${layer}`, ErrorCodes.POLICY_INVALID);
    } catch (e) {
      throw (e as MetacompressError).withDetails({ group: layer });
    }
  }
  const replaced = new Map<string, Tensor>();
  const layers: LayerSparsity[] = [];
  if (scope === 'global') {
    const all = targets.map((t) => toFloat32(t.tensor));
    const total = all.reduce((n, v) => n + v.length, 0);
    const joined = new Float32Array(total);
    let at = 0;
    for (const v of all) {
      joined.set(v, at);
      at += v.length;
    }
    const mask = topMagnitudeMask(joined, Math.round(options.keep * total));
    at = 0;
    targets.forEach((t, i) => {
      const m = mask.subarray(at, at + all[i].length);
      at += all[i].length;
      replaced.set(t.tensor.name, applyMask(t.tensor, all[i], m));
      layers.push({
        node: t.node,
        tensor: t.tensor.name,
        elements: m.length,
        kept: m.reduce((a, b) => a + b, 0),
      });
    });
  } else {
    for (const t of targets) {
      const v = toFloat32(t.tensor);
      const keep = options.perLayer?.[t.node] ?? options.keep;
      const mask = topMagnitudeMask(v, Math.max(1, Math.round(keep * v.length)));
      replaced.set(t.tensor.name, applyMask(t.tensor, v, mask));
      layers.push({
        node: t.node,
        tensor: t.tensor.name,
        elements: v.length,
        kept: mask.reduce((a, b) => a + b, 0),
      });
    }
  }
  return { graph: replaceWeights(graph, replaced, options.storage), layers };
}

/** Per-layer keep ratios from a policy's group entries (node labels), when it has any. */
function perLayerOf(policy: Policy): Record<string, number> | undefined {
  if (!policy.groups.length) return undefined;
  return Object.fromEntries(policy.groups.map((g) => [g.group, g.keep]));
}

/**
 * The unstructured magnitude-pruning operator (see {@link sparsifyByMagnitude}). The keep ratio is
 * the `keep` option, or else the policy's budget ratio. With `layerPolicy: true` (layer scope), the
 * policy's entries name layers (node labels) and set each one's ratio — an unknown name is
 * `MC_UNKNOWN_GROUP`; by default policy entries are left to channel pruning (they name coupling groups).
 *
 * @example
 * await compress(graph, [magnitudePrune.with({ keep: 0.1, scope: 'global', storage: 'sparse' })], { policy: identityPolicy() });
 */
export const magnitudePrune = defineOperator({
  name: 'magnitude-prune',
  description: 'unstructured magnitude pruning (per layer or global)',
  options: {
    keep: option.number('share of weights to keep; 0 = the policy budget ratio', 0, { min: 0, max: 1 }),
    scope: option.enum('one threshold per layer or one for all', ['layer', 'global'] as const, 'layer'),
    selector: option.custom<Selector>('which layers ({ opTypes, names, exclude })', {}, (v, path) =>
      parseSelector(v, path),
    ),
    storage: option.enum(
      'store pruned weights dense or as ONNX sparse initializers',
      ['dense', 'sparse'] as const,
      'dense',
    ),
    layerPolicy: option.boolean('read per-layer keep ratios from the policy entries (node labels)', false),
  },
  apply(graph: Graph, policy, _ctx, opts) {
    const keep = opts.keep > 0 ? opts.keep : policy.budget.ratio;
    const perLayer = opts.layerPolicy && opts.scope === 'layer' ? perLayerOf(policy) : undefined;
    const result = sparsifyByMagnitude(graph, {
      keep,
      scope: opts.scope,
      selector: opts.selector,
      storage: opts.storage,
      ...(perLayer ? { perLayer } : {}),
    });
    const kept = result.layers.reduce((a, l) => a + l.kept, 0);
    const elements = result.layers.reduce((a, l) => a + l.elements, 0);
    return {
      graph: result.graph,
      report: { keep, scope: opts.scope, storage: opts.storage, kept, elements, layers: result.layers },
    };
  },
});
