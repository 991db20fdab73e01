import { BUDGET_METRICS, ErrorCodes, MetacompressError } from '@metacompress/core';

/**
 * One entry of the feature vector: its name and what it measures (with its range).
 *
 * @example
 * const spec: FeatureSpec = FEATURES[0]; // { name: 'op.conv', description: '…' }
 */
export interface FeatureSpec {
  readonly name: string;
  readonly description: string;
}

/**
 * Kinds of producing op a group may have. A group's producing nodes are those with an `output`
 * slice: its `producers` plus channel-preserving convolutions inside it (a depthwise conv).
 *
 * @example
 * OP_KINDS.map((k) => `op.${k}`); // the op-kind columns of FEATURE_NAMES
 */
export const OP_KINDS = ['conv', 'depthwise', 'grouped', 'gemm', 'other'] as const;
/** One of {@link OP_KINDS}. */
export type OpKind = (typeof OP_KINDS)[number];

/**
 * Every feature the featurizer emits, in order, documented: the vector of a group is
 * `FEATURES.map((f) => value of f.name)`. Features are scaled to about [0, 1] (a few to [−1, 1] or
 * [0, 4]) so that one network serves models of any size. Ranges are enforced by clipping.
 *
 * @example
 * FEATURES.find((f) => f.name === 'mac_share')?.description;
 */
export const FEATURES: readonly FeatureSpec[] = Object.freeze([
  ...OP_KINDS.map((kind) => ({
    name: `op.${kind}`,
    description: {
      conv: 'share of the producing nodes that are ordinary convolutions (group = 1), [0, 1]',
      depthwise:
        'share of the producing nodes that are depthwise convolutions (one input channel per filter, group > 1), [0, 1]',
      grouped:
        'share of the producing nodes that are grouped convolutions (group > 1, several input channels per filter), [0, 1]',
      gemm: 'share of the producing nodes that are Gemm/MatMul (fully connected), [0, 1]',
      other: 'share of the producing nodes of any other op type (ConvTranspose, custom ops), [0, 1]',
    }[kind],
  })),
  { name: 'log_channels', description: 'log2(channels) / 12 (1 at 4096 channels), clipped to [0, 1.5]' },
  {
    name: 'min_keep',
    description: 'minChannels / channels: the smallest keep ratio the group allows, (0, 1]',
  },
  {
    name: 'kernel',
    description:
      'mean over producing nodes of the spatial kernel side (geometric mean of the kernel dims; 1 for Gemm/MatMul) / 7, clipped to [0, 2]',
  },
  {
    name: 'stride',
    description:
      'mean over producing nodes of log2(largest stride) (0 at stride 1, 1 at stride 2), clipped to [0, 2]',
  },
  {
    name: 'depth',
    description:
      'mean topological position of the producing nodes: 0 at the first node of the graph, 1 at the last',
  },
  {
    name: 'param_share',
    description:
      'share of the graph’s parameters that scale with the group: channels × (params − params with one channel fewer) / params (cost-of-keeps estimator), clipped to [0, 1]',
  },
  { name: 'mac_share', description: 'the same share for MACs, clipped to [0, 1]' },
  {
    name: 'imp_scale',
    description:
      'ln(mean |w| · √fanIn) of the producing weights (mean |w| · √fanIn is ≈ 1.13 at He-normal initialization, 0.5 at PyTorch’s default), clipped to [−4, 4] and divided by 4',
  },
  {
    name: 'imp_std',
    description:
      'standard deviation of the normalized per-channel L1 scores (each output slice scaled to mean 1, then averaged: their mean is 1, so this is their coefficient of variation), clipped to [0, 4]',
  },
  { name: 'imp_min', description: 'smallest normalized per-channel L1 score, [0, 1]' },
  { name: 'imp_max', description: 'ln(largest normalized per-channel L1 score), clipped to [0, 4]' },
  { name: 'imp_gini', description: 'Gini coefficient of the per-channel L1 scores, [0, 1] (0: all equal)' },
  {
    name: 'imp_entropy',
    description:
      'entropy of the per-channel L1 scores as a distribution, divided by ln(channels), [0, 1] (1: all equal)',
  },
  { name: 'imp_dead', description: 'share of channels whose normalized L1 score is below 0.01, [0, 1]' },
  {
    name: 'bn',
    description: '1 when the group has a BatchNormalization/InstanceNormalization scale slice, else 0',
  },
  {
    name: 'bn_scale',
    description:
      'ln(mean |γ|) over the group’s normalization scales, clipped to [−6, 2] and divided by 2; 0 without one',
  },
  {
    name: 'bn_std',
    description: 'coefficient of variation of |γ|, clipped to [0, 4]; 0 without normalization',
  },
  { name: 'bn_min', description: 'min |γ| / mean |γ|, [0, 1]; 0 without normalization' },
  { name: 'bn_max', description: 'ln(max |γ| / mean |γ|), clipped to [0, 4]; 0 without normalization' },
  {
    name: 'producers',
    description:
      'log2(number of coupled producers) / 4 (residual adds and concats couple several), clipped to [0, 2]',
  },
  { name: 'residual', description: '1 when several producers are coupled (a residual stage), else 0' },
  { name: 'consumers', description: 'log2(1 + number of consuming nodes) / 4, clipped to [0, 2]' },
  {
    name: 'feeds_classifier',
    description: '1 when a consumer is a last weighted node before a graph output (the classifier), else 0',
  },
  { name: 'budget_ratio', description: 'the budget ratio r (keep r of the metric), (0, 1]' },
  ...BUDGET_METRICS.map((metric) => ({
    name: `metric.${metric}`,
    description: `1 when the budget constrains ${metric}, else 0`,
  })),
  {
    name: 'sensitivity',
    description:
      'ln(1 + max(0, Δloss)) where Δloss is the loss increase when the group alone is pruned by half (given by the caller, see measureSensitivity), clipped to [0, 4]; 0 when not given',
  },
  { name: 'has_sensitivity', description: '1 when a sensitivity was given for the group, else 0' },
]);

/**
 * The feature names, in vector order — what a policy checkpoint records so that a network is
 * never run on features it was not trained on.
 *
 * @example
 * FEATURE_NAMES.indexOf('budget_ratio'); // the column of r
 */
export const FEATURE_NAMES: readonly string[] = Object.freeze(FEATURES.map((f) => f.name));

/**
 * Length of a feature vector.
 *
 * @example
 * featurizeGroups(graph, { budget }).rows[0].length === FEATURE_COUNT; // true
 */
export const FEATURE_COUNT = FEATURE_NAMES.length;

/**
 * The column of a feature; throws `MC_INVALID_ARGUMENT` for an unknown name.
 *
 * @example
 * row[featureIndex('mac_share')]; // the group's share of the MACs
 */
export function featureIndex(name: string): number {
  const i = FEATURE_NAMES.indexOf(name);
  if (i < 0)
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `unknown feature '${name}'`, {
      field: 'feature',
    });
  return i;
}
