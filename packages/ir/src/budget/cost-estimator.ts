import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { analyzeChannels } from '../coupling/engine';
import type { CouplingGroup, CouplingOptions } from '../coupling/types';
import { costOf } from '../cost/cost-of';
import type { Dim, Graph, Node } from '../graph';
import { inferShapes } from '../shape/infer-shapes';
import type { ValueShape } from '../shape/value-shape';
import type { Tensor } from '../tensor';

/** Channels to keep per group id, as counts (which channels does not change the cost). */
export type KeepCounts = ReadonlyMap<string, number> | Readonly<Record<string, number>>;

/** What a graph costs: the totals of {@link costOf}. */
export interface CostEstimate {
  params: number;
  macs: number;
  flops: number;
  bytes: number;
}

/** A cost metric a budget may constrain without measuring. */
export type CostMetric = keyof CostEstimate;

/**
 * Options of {@link createCostEstimator}.
 *
 * @example
 * createCostEstimator(graph, { batchSize: 1 });
 */
export interface CostEstimatorOptions extends Pick<CouplingOptions, 'inputShapes' | 'rules'> {
  /** Batch size for MACs/FLOPs (default 1: per sample, as `costOf`). */
  batchSize?: number;
  /** Named in error details. */
  file?: string;
}

/**
 * Prices keep counts of a graph's coupling groups without building the pruned graph.
 *
 * @example
 * const est = createCostEstimator(graph);
 * est.estimate({ conv1: 8 }).macs / est.base.macs; // MACs ratio after keeping 8 channels of conv1
 */
export interface CostEstimator {
  readonly graph: Graph;
  /** The graph's coupling groups (as {@link analyzeCoupling} returns them). */
  readonly groups: readonly CouplingGroup[];
  /** The cost of the unpruned graph. */
  readonly base: CostEstimate;
  /** Cost of the graph after keeping `keeps[id]` channels of each listed group (others stay whole). */
  estimate(keeps: KeepCounts): CostEstimate;
}

function entriesOf(keeps: KeepCounts): [string, number][] {
  return keeps instanceof Map ? [...keeps.entries()] : Object.entries(keeps as Record<string, number>);
}

/** A value or constant axis whose extent depends on kept channels: `fixed + Σ per[g] · keep[g]`, times `span`. */
interface Extent {
  /** Atoms that belong to no group (never removed). */
  fixed: number;
  /** Multiplicity of each group's channels, by group index. */
  per: Map<number, number>;
  span: number;
}

/** Ops through which a constant's shape flows unchanged to its consumer. */
const SHAPE_CARRIERS = new Set(['Identity', 'DequantizeLinear', 'QuantizeLinear', 'Cast', 'CastLike']);

/**
 * Builds an exact, fast cost model of channel pruning: after one coupling analysis and one shape
 * inference, `estimate(keeps)` returns the params, MACs, FLOPs and bytes that
 * `costOf(removeChannels(graph, keep))` would report for any choice of `keeps[id]` kept channels per
 * group — without copying a single weight. It works by recomputing the extent of every value and
 * constant axis that carries group channels (`fixed + Σ multiplicity × kept`, times the elements
 * per channel after a Flatten) and handing those shapes to `costOf` with dims-only tensors, so every
 * cost rule (built-in or registered) applies unchanged.
 *
 * Throws `MC_UNKNOWN_GROUP` for an id the graph lacks, `MC_GROUP_UNPRUNABLE` when an unprunable
 * group is asked to shrink, `MC_INVALID_ARGUMENT` for counts outside `[group.minChannels, channels]`.
 *
 * @example
 * const est = createCostEstimator(graph);
 * const half = Object.fromEntries(est.groups.filter((g) => g.prunable).map((g) => [g.id, Math.ceil(g.channels / 2)]));
 * est.estimate(half).macs; // equals costOf(removeChannels(graph, firstHalf)).macs
 */
export function createCostEstimator(graph: Graph, options: CostEstimatorOptions = {}): CostEstimator {
  const batchSize = options.batchSize ?? 1;
  const shapes = inferShapes(graph, {
    batchSize,
    inputShapes: options.inputShapes as Record<string, readonly Dim[]> | undefined,
    file: options.file,
  });
  const analysis = analyzeChannels(graph, { shapes, rules: options.rules });
  const groups = analysis.groups.map((g) => g.group);
  const groupIndex = new Map(groups.map((g, i) => [g.id, i]));
  const rootGroup = new Map<number, number>();
  analysis.groups.forEach((g, i) => g.roots.forEach((r) => rootGroup.set(r, i)));

  const extentOf = (atoms: Int32Array, span: number): Extent => {
    const per = new Map<number, number>();
    let fixed = 0;
    for (const a of atoms) {
      const g = rootGroup.get(analysis.rootOf(a));
      if (g === undefined) fixed++;
      else per.set(g, (per.get(g) ?? 0) + 1);
    }
    // each channel of a group appears equally often in a value: count per channel
    for (const [g, n] of per) per.set(g, n / groups[g].channels);
    return { fixed, per, span };
  };

  // Activations whose channel axis shrinks.
  const values: { name: string; axis: number; extent: Extent }[] = [];
  for (const [name, v] of analysis.values) {
    if (v.span.value === 0) continue;
    const extent = extentOf(v.atoms, v.span.value);
    if (extent.per.size) values.push({ name, axis: v.axis, extent });
  }
  // Constant tensors: per axis extent (sites on the same tensor and axis are coupled: same extent).
  const tensorAxes = new Map<string, Map<number, Extent>>();
  for (const site of analysis.sites) {
    const extent = extentOf(site.value.atoms, site.value.span.value);
    if (!extent.per.size) continue;
    let axes = tensorAxes.get(site.tensor);
    if (!axes) tensorAxes.set(site.tensor, (axes = new Map()));
    if (!axes.has(site.axis)) axes.set(site.axis, extent);
  }
  const constantNodes = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    if (n.opType === 'Constant' && n.outputs[0] && tensorAxes.has(n.outputs[0]))
      constantNodes.set(n.outputs[0], i);
  });
  const carriers = graph.nodes.filter(
    (n) => SHAPE_CARRIERS.has(n.opType) && (n.domain === '' || n.domain === 'ai.onnx'),
  );

  const size = (e: Extent, kept: Float64Array): number => {
    let n = e.fixed;
    for (const [g, m] of e.per) n += m * kept[g];
    return Math.round(n) * e.span;
  };

  const evaluate = (kept: Float64Array): CostEstimate => {
    const prunedShapes = new Map<string, ValueShape>(shapes);
    const setDim = (name: string, axis: number, dim: number): void => {
      const s = prunedShapes.get(name);
      if (!s?.shape || axis >= s.shape.length) return;
      const shape = [...s.shape];
      shape[axis] = dim;
      const { value: _value, symbolic: _symbolic, ...rest } = s;
      prunedShapes.set(name, { ...rest, shape });
    };
    for (const { name, axis, extent } of values) setDim(name, axis, size(extent, kept));
    const newTensors = new Map<string, Tensor>();
    for (const [name, axes] of tensorAxes) {
      const original = analysis.constants.get(name)?.tensor;
      if (!original) continue;
      const dims = [...original.dims];
      for (const [axis, extent] of axes) dims[axis] = size(extent, kept);
      if (dims.every((d, i) => d === original.dims[i])) continue;
      newTensors.set(name, { name, dataType: original.dataType, dims });
      for (const [axis] of axes) setDim(name, axis, dims[axis]);
    }
    for (const n of carriers) {
      const t = newTensors.get(n.inputs[0] ?? '');
      if (t && n.outputs[0])
        prunedShapes.set(n.outputs[0], { ...prunedShapes.get(n.outputs[0])!, shape: [...t.dims] });
    }
    if (newTensors.size === 0) return base;
    const initializers = graph.initializers.map((t) => newTensors.get(t.name) ?? t);
    let nodes: readonly Node[] = graph.nodes;
    if (constantNodes.size) {
      const copy = [...graph.nodes];
      for (const [name, i] of constantNodes) {
        const t = newTensors.get(name);
        if (t)
          copy[i] = {
            ...copy[i],
            attributes: { ...copy[i].attributes, value: { type: 'tensor', value: t } },
          };
      }
      nodes = copy;
    }
    const c = costOf({ ...graph, initializers, nodes }, { shapes: prunedShapes, file: options.file });
    return { params: c.params, macs: c.macs, flops: c.flops, bytes: c.bytes };
  };

  const full = new Float64Array(groups.map((g) => g.channels));
  const baseCost = costOf(graph, { shapes, file: options.file });
  const base: CostEstimate = {
    params: baseCost.params,
    macs: baseCost.macs,
    flops: baseCost.flops,
    bytes: baseCost.bytes,
  };

  return {
    graph,
    groups,
    base,
    estimate(keeps) {
      const kept = full.slice();
      for (const [id, count] of entriesOf(keeps)) {
        const i = groupIndex.get(id);
        if (i === undefined)
          throw new MetacompressError(ErrorCodes.UNKNOWN_GROUP, `no coupling group '${id}' in this graph`, {
            group: id,
            file: options.file,
          });
        const g = groups[i];
        if (!Number.isInteger(count) || count < g.minChannels || count > g.channels) {
          throw new MetacompressError(
            ErrorCodes.INVALID_ARGUMENT,
            `group keeps ${count} channels; expected an integer in [${g.minChannels}, ${g.channels}]`,
            { group: id, field: 'keep', file: options.file },
          );
        }
        if (count < g.channels && !g.prunable) {
          throw new MetacompressError(
            ErrorCodes.GROUP_UNPRUNABLE,
            `group cannot be pruned: ${g.reason ?? 'unknown reason'}`,
            { group: id, file: options.file },
          );
        }
        kept[i] = count;
      }
      return evaluate(kept);
    },
  };
}

/**
 * One-shot form of {@link createCostEstimator}: the cost of a graph after keeping `keeps[id]`
 * channels per group. Build an estimator instead when pricing many choices.
 *
 * @example
 * estimateCost(graph, { '/fc1/Gemm': 150 }).params;
 */
export function estimateCost(
  graph: Graph,
  keeps: KeepCounts,
  options: CostEstimatorOptions = {},
): CostEstimate {
  return createCostEstimator(graph, options).estimate(keeps);
}
