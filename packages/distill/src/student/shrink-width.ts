import { ErrorCodes, MetacompressError, createRng, describe } from '@metacompress/core';
import {
  DataType,
  analyzeCoupling,
  createCostEstimator,
  freeGroups,
  keepCount,
  readGroupWeights,
  removeChannels,
  solveUniformRatio,
  toFloat32,
  withFloat32,
  type CouplingGroup,
  type Graph,
} from '@metacompress/ir';

/**
 * How to derive a student from a teacher: every prunable coupling group keeps the same fraction
 * of its channels (`width`), or the fraction that meets a cost `budget` (e.g. 25 % of the MACs).
 *
 * @example
 * const spec: StudentSpec = { budget: { metric: 'macs', ratio: 0.25 }, roundTo: 4, reinitialize: true };
 */
export interface StudentSpec {
  /** Keep this fraction (0, 1] of every prunable group's channels. */
  width?: number;
  /** Or: the uniform fraction whose cost meets this budget. */
  budget?: { metric: 'params' | 'macs' | 'flops' | 'bytes'; ratio: number };
  /** Round kept channel counts to a multiple of this (default 1). */
  roundTo?: number;
  /**
   * Re-initialize every weight (He-normal for Conv/Gemm/MatMul weights, zero biases, identity
   * BatchNormalization) instead of keeping the teacher's (default false: kept channels are chosen
   * by the L1 norm of their weights — Li et al. 2017 — and keep their values).
   */
  reinitialize?: boolean;
  /** Seed of the re-initialization (default 0). */
  seed?: number;
}

function l1Ranking(graph: Graph, group: CouplingGroup): number[] {
  const score = new Float64Array(group.channels);
  for (const { slice, channels } of readGroupWeights(graph, group)) {
    if (slice.role !== 'output') continue;
    channels.forEach((v, j) => {
      let s = 0;
      for (let k = 0; k < v.length; k++) s += Math.abs(v[k]!);
      score[j] += s / Math.max(1, v.length);
    });
  }
  return Array.from(score.keys()).sort((a, b) => score[b]! - score[a]! || a - b);
}

/**
 * Re-initializes a graph's float weights: He-normal (He et al. 2015) for the weight input of
 * Conv, ConvTranspose, Gemm and MatMul (fan-in from the weight shape), zeros for their biases,
 * scale 1 / bias 0 / mean 0 / variance 1 for BatchNormalization. Other initializers are kept.
 *
 * @example
 * const fresh = reinitialize(graph, 7);
 */
export function reinitialize(graph: Graph, seed: number): Graph {
  const roles = new Map<string, { kind: 'weight'; fanIn: number } | { kind: 'fill'; value: number }>();
  const dims = new Map(graph.initializers.map((t) => [t.name, t.dims]));
  for (const n of graph.nodes) {
    const w = n.inputs[1];
    if ((n.opType === 'Conv' || n.opType === 'ConvTranspose') && w && dims.has(w)) {
      const d = dims.get(w)!;
      const fanIn =
        n.opType === 'Conv'
          ? d.slice(1).reduce((a, b) => a * b, 1)
          : d[0]! * d.slice(2).reduce((a, b) => a * b, 1);
      roles.set(w, { kind: 'weight', fanIn });
      if (n.inputs[2]) roles.set(n.inputs[2], { kind: 'fill', value: 0 });
    } else if (n.opType === 'Gemm' || n.opType === 'MatMul') {
      for (const [i, name] of n.inputs.entries()) {
        if (!name || !dims.has(name)) continue;
        const d = dims.get(name)!;
        if (i === 2) roles.set(name, { kind: 'fill', value: 0 });
        else if (d.length === 2) {
          const transB = n.opType === 'Gemm' && (n.attributes.transB?.value as number | undefined) === 1;
          const transA = n.opType === 'Gemm' && (n.attributes.transA?.value as number | undefined) === 1;
          const fanIn = i === 1 ? (transB ? d[1]! : d[0]!) : transA ? d[0]! : d[1]!;
          roles.set(name, { kind: 'weight', fanIn });
        }
      }
    } else if (n.opType === 'BatchNormalization') {
      [1, 0, 0, 1].forEach((value, k) => {
        const name = n.inputs[k + 1];
        if (name && dims.has(name)) roles.set(name, { kind: 'fill', value });
      });
    }
  }
  const initializers = graph.initializers.map((t) => {
    const role = roles.get(t.name);
    if (
      !role ||
      (t.dataType !== DataType.FLOAT && t.dataType !== DataType.FLOAT16 && t.dataType !== DataType.DOUBLE)
    )
      return t;
    const n = toFloat32(t).length;
    const values = new Float32Array(n);
    if (role.kind === 'fill') values.fill(role.value);
    else {
      const rng = createRng(seed).fork(t.name);
      const std = Math.sqrt(2 / Math.max(1, role.fanIn));
      for (let i = 0; i < n; i++) values[i] = rng.normal() * std;
    }
    return withFloat32(t, t.dims, values);
  });
  return { ...graph, initializers };
}

/**
 * A smaller student of the same family as the teacher: uniform channel pruning over the coupling
 * groups with physical removal (`removeChannels`), optionally re-initialized. The student keeps
 * the teacher's node and value names, so hint points match.
 *
 * @example
 * const student = shrinkWidth(teacher, { budget: { metric: 'macs', ratio: 0.25 }, reinitialize: true });
 */
export function shrinkWidth(teacher: Graph, spec: StudentSpec): Graph {
  if ((spec.width === undefined) === (spec.budget === undefined)) {
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'give exactly one of width and budget', {
      field: 'student.width',
    });
  }
  if (spec.width !== undefined && !(typeof spec.width === 'number' && spec.width > 0 && spec.width <= 1)) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `width must be in (0, 1], got ${describe(spec.width)}`,
      { field: 'student.width' },
    );
  }
  const rounding = { roundTo: spec.roundTo ?? 1 };
  let counts: Map<string, number>;
  let groups: readonly CouplingGroup[];
  if (spec.budget) {
    const estimator = createCostEstimator(teacher);
    groups = estimator.groups;
    counts = solveUniformRatio(estimator, spec.budget, rounding).keeps;
  } else {
    groups = analyzeCoupling(teacher);
    counts = new Map(
      freeGroups(groups).map((g) => [
        g.id,
        keepCount(g.channels, spec.width!, { ...rounding, minChannels: g.minChannels }),
      ]),
    );
  }
  const keep = new Map<string, number[]>();
  for (const g of groups) {
    const k = counts.get(g.id);
    if (k === undefined || k >= g.channels) continue;
    keep.set(
      g.id,
      l1Ranking(teacher, g)
        .slice(0, k)
        .sort((a, b) => a - b),
    );
  }
  const pruned = removeChannels(teacher, keep);
  return spec.reinitialize ? reinitialize(pruned, spec.seed ?? 0) : pruned;
}
