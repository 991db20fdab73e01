import { ErrorCodes, MetacompressError, validateBudget, type Budget } from '@metacompress/core';
import {
  attrInt,
  attrInts,
  createCostEstimator,
  freeGroups,
  nodeLabel,
  readGroupWeights,
  type CostEstimator,
  type CouplingGroup,
  type Graph,
  type Node,
} from '@metacompress/ir';
import { channelImportance, gini, normalizedEntropy } from './channel-importance';
import { FEATURE_COUNT, FEATURE_NAMES, type OpKind } from './feature-names';

/** Per-group values keyed by group id (a `Map` or a plain object). */
export type GroupValues = ReadonlyMap<string, number> | Readonly<Record<string, number>>;

/**
 * Options of {@link featurizeGroups}.
 *
 * @example
 * const options: FeaturizeOptions = { budget: { metric: 'macs', ratio: 0.5 }, sensitivity: { conv1: 0.12 } };
 */
export interface FeaturizeOptions {
  /** The budget the policy is predicted for: its ratio and metric are features of every group. */
  budget: Budget;
  /**
   * Optional one-shot sensitivity per group: the loss increase when the group alone is pruned by
   * half (e.g. from {@link measureSensitivity}). Groups not listed get `has_sensitivity = 0`.
   */
  sensitivity?: GroupValues;
  /** A cost estimator of `graph` already built (saves one coupling analysis and shape inference). */
  estimator?: CostEstimator;
  /** Groups to featurize (default: every prunable group, in coupling-analysis order). */
  groups?: readonly string[];
  /** The model file, named in errors. */
  file?: string;
}

/**
 * Features of a model's groups, one row per group, columns as {@link FEATURE_NAMES}.
 *
 * @example
 * const { groups, rows, importance } = featurizeGroups(graph, { budget });
 */
export interface GroupFeatures {
  /** Column names (= {@link FEATURE_NAMES}). */
  readonly names: readonly string[];
  /** The featurized groups, in row order. */
  readonly groups: readonly CouplingGroup[];
  /** `rows[i]`: the feature vector of `groups[i]`. */
  readonly rows: readonly Float32Array[];
  /** `importance[i][j]`: the normalized L1 score of channel `j` of `groups[i]` (see `channelImportance`). */
  readonly importance: readonly Float64Array[];
  /** The cost estimator the shares were computed with (reusable for the budget projection). */
  readonly estimator: CostEstimator;
}

const CONV_OPS = new Set(['Conv', 'ConvInteger', 'QLinearConv']);
const GEMM_OPS = new Set(['Gemm', 'MatMul', 'MatMulInteger', 'QLinearMatMul', 'FusedMatMul']);
const WEIGHTED_OPS = new Set([...CONV_OPS, ...GEMM_OPS, 'ConvTranspose']);
const NORM_OPS = new Set(['BatchNormalization', 'InstanceNormalization']);

const clip = (x: number, lo: number, hi: number): number =>
  Number.isNaN(x) ? lo : Math.min(hi, Math.max(lo, x));

function entriesOf(values: GroupValues): [string, number][] {
  return values instanceof Map ? [...values.entries()] : Object.entries(values as Record<string, number>);
}

/** Names and dims of every constant (initializers and `Constant` node outputs). */
function constantDims(graph: Graph): Map<string, readonly number[]> {
  const dims = new Map<string, readonly number[]>(graph.initializers.map((t) => [t.name, t.dims]));
  for (const n of graph.nodes) {
    const v = n.attributes.value;
    if (n.opType === 'Constant' && n.outputs[0] && v?.type === 'tensor') dims.set(n.outputs[0], v.value.dims);
  }
  return dims;
}

function opKind(node: Node, weightDims: readonly number[] | undefined): OpKind {
  if (CONV_OPS.has(node.opType)) {
    const groups = attrInt(node, 'group', 1);
    if (groups <= 1) return 'conv';
    return weightDims && weightDims[1] === 1 ? 'depthwise' : 'grouped';
  }
  if (GEMM_OPS.has(node.opType)) return 'gemm';
  return 'other';
}

function kernelSide(node: Node, weightDims: readonly number[] | undefined): number {
  if (GEMM_OPS.has(node.opType)) return 1;
  const spatial =
    attrInts(node, 'kernel_shape') ?? (weightDims && weightDims.length > 2 ? weightDims.slice(2) : []);
  return spatial.length ? spatial.reduce((a, b) => a * b, 1) ** (1 / spatial.length) : 1;
}

/** Weighted nodes that reach a graph output through unweighted nodes only: the classifier head(s). */
function classifierHeads(graph: Graph, constants: ReadonlyMap<string, unknown>): Set<string> {
  const producer = new Map<string, [Node, number]>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, [n, i])));
  const heads = new Set<string>();
  const seen = new Set<string>();
  const stack = graph.outputs.map((o) => o.name);
  while (stack.length) {
    const value = stack.pop()!;
    if (seen.has(value)) continue;
    seen.add(value);
    const p = producer.get(value);
    if (!p) continue;
    const [node, i] = p;
    if (WEIGHTED_OPS.has(node.opType) && node.inputs.some((x, k) => k > 0 && x && constants.has(x))) {
      heads.add(nodeLabel(node, i));
      continue;
    }
    for (const x of node.inputs) if (x && !constants.has(x)) stack.push(x);
  }
  return heads;
}

function stats(values: Float64Array): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  return { mean, std: Math.sqrt(sq / values.length), min, max };
}

/**
 * The layer featurizer of the meta-learned policy (DESIGN §5): one fixed-length vector per
 * prunable coupling group — producing op kinds, log channel count, kernel size, stride, relative
 * depth, share of params and MACs (from ir's exact cost-of-keeps estimator), statistics of the
 * normalized per-channel L1 importance, BatchNorm-scale statistics, coupled producers (residual),
 * whether it feeds the classifier, the budget (ratio and metric one-hot) and an optional one-shot
 * sensitivity. {@link FEATURES} documents every column and its range. Deterministic: the same graph
 * and options give the same bytes.
 *
 * Throws `MC_BUDGET_INVALID` for a bad budget, `MC_UNKNOWN_GROUP`/`MC_GROUP_UNPRUNABLE` for bad
 * `groups` or sensitivity ids, `MC_INVALID_ARGUMENT` for a non-finite sensitivity, and
 * `MC_NAN_WEIGHTS` for NaN/infinite weights.
 *
 * @example
 * const f = featurizeGroups(graph, { budget: { metric: 'macs', ratio: 0.5 } });
 * f.rows[0][FEATURE_NAMES.indexOf('mac_share')]; // share of the MACs that scale with f.groups[0]
 */
export function featurizeGroups(graph: Graph, options: FeaturizeOptions): GroupFeatures {
  const budget = validateBudget(options?.budget, 'budget');
  const estimator = options.estimator ?? createCostEstimator(graph, { file: options.file });
  const groups = freeGroups(estimator.groups, options.groups);
  const ids = new Set(groups.map((g) => g.id));
  const sensitivity = new Map<string, number>();
  for (const [id, value] of entriesOf(options.sensitivity ?? {})) {
    if (!ids.has(id)) {
      throw new MetacompressError(
        ErrorCodes.UNKNOWN_GROUP,
        `a sensitivity is given for '${id}', which is not a featurized group`,
        {
          group: id,
          field: 'sensitivity',
          file: options.file,
        },
      );
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `sensitivity must be a finite number, got ${String(value)}`,
        {
          group: id,
          field: 'sensitivity',
          file: options.file,
        },
      );
    }
    sensitivity.set(id, value);
  }

  const dims = constantDims(graph);
  const labels = new Map<string, [Node, number]>(graph.nodes.map((n, i) => [nodeLabel(n, i), [n, i]]));
  const heads = classifierHeads(graph, dims);
  const lastIndex = Math.max(1, graph.nodes.length - 1);
  const base = estimator.base;
  const column = (name: string): number => FEATURE_NAMES.indexOf(name);

  const rows: Float32Array[] = [];
  const importance: Float64Array[] = [];
  for (const group of groups) {
    const row = new Float32Array(FEATURE_COUNT);
    const set = (name: string, value: number): void => {
      row[column(name)] = value;
    };
    const weights = readGroupWeights(graph, group);
    const outputSlices = group.slices.filter((s) => s.role === 'output');
    const producing = [...new Set([...group.producers, ...outputSlices.map((s) => s.node)])].filter((l) =>
      labels.has(l),
    );

    // Op kinds, kernel, stride, depth of the producing nodes.
    let kernel = 0;
    let stride = 0;
    let depth = 0;
    for (const label of producing) {
      const [node, index] = labels.get(label)!;
      const weight = outputSlices.find((s) => s.node === label)?.tensor;
      const wd = weight ? dims.get(weight) : undefined;
      row[column(`op.${opKind(node, wd)}`)] += 1 / producing.length;
      kernel += kernelSide(node, wd) / producing.length;
      stride += Math.log2(Math.max(1, ...(attrInts(node, 'strides') ?? [1]))) / producing.length;
      depth += index / lastIndex / producing.length;
    }
    set('log_channels', clip(Math.log2(group.channels) / 12, 0, 1.5));
    set('min_keep', group.minChannels / group.channels);
    set('kernel', clip(kernel / 7, 0, 2));
    set('stride', clip(stride, 0, 2));
    set('depth', clip(depth, 0, 1));

    // Shares of params and MACs: the linearized cost of the group's channels.
    if (group.channels - 1 >= group.minChannels) {
      const less = estimator.estimate({ [group.id]: group.channels - 1 });
      if (base.params > 0)
        set('param_share', clip((group.channels * (base.params - less.params)) / base.params, 0, 1));
      if (base.macs > 0) set('mac_share', clip((group.channels * (base.macs - less.macs)) / base.macs, 0, 1));
    }

    // Channel importance.
    const { scores, logScale } = channelImportance(graph, group, weights);
    importance.push(scores);
    const s = stats(scores);
    set('imp_scale', clip(logScale, -4, 4) / 4);
    set('imp_std', clip(s.std, 0, 4));
    set('imp_min', clip(s.min, 0, 1));
    set('imp_max', s.max > 0 ? clip(Math.log(s.max), 0, 4) : 0);
    set('imp_gini', clip(gini(scores), 0, 1));
    set('imp_entropy', clip(normalizedEntropy(scores), 0, 1));
    set('imp_dead', scores.filter((v) => v < 0.01).length / group.channels);

    // Normalization scales |γ|, averaged per channel over the group's BN/IN nodes.
    const gammas = weights.filter(({ slice }) => {
      if (slice.role !== 'bn') return false;
      const node = labels.get(slice.node)?.[0];
      return !!node && NORM_OPS.has(node.opType) && node.inputs[1] === slice.tensor;
    });
    if (gammas.length) {
      const gamma = new Float64Array(group.channels);
      for (const { slice, channels } of gammas) {
        channels.forEach((v, j) => {
          let a = 0;
          for (const x of v) a += Math.abs(x);
          if (!Number.isFinite(a)) {
            throw new MetacompressError(
              ErrorCodes.NAN_WEIGHTS,
              `scale of channel ${j} in '${slice.tensor}' is NaN or infinite`,
              {
                group: group.id,
                node: slice.node,
                field: slice.tensor,
              },
            );
          }
          gamma[j] += a / v.length / gammas.length;
        });
      }
      const b = stats(gamma);
      set('bn', 1);
      if (b.mean > 0) {
        set('bn_scale', clip(Math.log(b.mean), -6, 2) / 2);
        set('bn_std', clip(b.std / b.mean, 0, 4));
        set('bn_min', clip(b.min / b.mean, 0, 1));
        set('bn_max', clip(Math.log(b.max / b.mean), 0, 4));
      } else set('bn_scale', -3);
    }

    // Topology.
    set('producers', clip(Math.log2(Math.max(1, group.producers.length)) / 4, 0, 2));
    set('residual', group.producers.length > 1 ? 1 : 0);
    set('consumers', clip(Math.log2(1 + group.consumers.length) / 4, 0, 2));
    set('feeds_classifier', group.consumers.some((c) => heads.has(c)) ? 1 : 0);

    // Budget and sensitivity.
    set('budget_ratio', budget.ratio);
    set(`metric.${budget.metric}`, 1);
    const delta = sensitivity.get(group.id);
    if (delta !== undefined) {
      set('sensitivity', clip(Math.log1p(Math.max(0, delta)), 0, 4));
      set('has_sensitivity', 1);
    }
    rows.push(row);
  }
  return { names: FEATURE_NAMES, groups, rows, importance, estimator };
}

/**
 * The rows of {@link GroupFeatures} as one row-major `[groups × features]` matrix.
 *
 * @example
 * const x = tf.tensor2d(featureMatrix(f), [f.rows.length, FEATURE_COUNT]);
 */
export function featureMatrix(features: Pick<GroupFeatures, 'rows'>): Float32Array {
  const out = new Float32Array(features.rows.length * FEATURE_COUNT);
  features.rows.forEach((r, i) => out.set(r, i * FEATURE_COUNT));
  return out;
}
