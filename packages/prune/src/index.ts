/**
 * @packageDocumentation
 * Importance criteria and pruning operators for Metacompress: structured channel pruning that
 * physically removes channels across coupling groups (so models get really smaller and faster),
 * unstructured magnitude pruning and N:M sparsity (with ONNX sparse-initializer storage), and the
 * baseline policies (uniform, L1 sensitivity, global ranking) that meet a params/MACs/bytes budget.
 * Criteria and operators are plain objects made by `defineCriterion` / `defineOperator`.
 *
 * @example
 * import { channelPrune, uniformPolicy } from '@metacompress/prune';
 * const policy = uniformPolicy(graph, { metric: 'macs', ratio: 0.25 }, { roundTo: 8 });
 * const { graph: small } = await compress(graph, [channelPrune.with({ criterion: 'l1', roundTo: 8 })], { policy });
 */
export {
  defineCriterion,
  isCriterion,
  type Criterion,
  type CriterionContext,
  type CriterionDefinition,
  type GroupScores,
} from './criterion';
export { WEIGHT_ROLES, aggregateSlices, readSlices, sliceScores, type ReadSlice } from './group-importance';
export { l1Magnitude, l2Magnitude } from './criteria/magnitude';
export { distanceSums, fpgm } from './criteria/fpgm';
export { bnScale } from './criteria/bn-scale';
export { taylor, taylorCriterion, type TaylorOptions } from './criteria/taylor';
export { randomImportance } from './criteria/random';
export { builtinCriteria, resolveCriterion } from './criteria/index';
export { selectGroups, type GroupSelection } from './select-groups';
export {
  channelPrune,
  keepTopChannels,
  planChannelPruning,
  pruneChannels,
  type ChannelPrunePlan,
  type ChannelPruneOptions,
  type ChannelPruneReport,
  type GroupOutcome,
} from './channel-prune';
export { DEFAULT_WEIGHT_OPS, weightTargets, type WeightTarget } from './weight-targets';
export {
  magnitudePrune,
  replaceWeights,
  sparsifyByMagnitude,
  topMagnitudeMask,
  type LayerSparsity,
  type MagnitudeSparsityOptions,
  type SparseStorage,
} from './magnitude-sparsity';
export { nmSparsity, sparsifyNM, type NMLayer, type NMSparsityOptions } from './n-m-sparsity';
export {
  densifySparse,
  sparsityOf,
  storeSparse,
  type SparseTensorObject,
  type StoreSparseOptions,
} from './sparse-storage';
export { estimatorFor, solutionToPolicy, type PolicyOptions } from './policies/policy-options';
export { uniformPolicy } from './policies/uniform';
export { globalMagnitudePolicy, type GlobalMagnitudeOptions } from './policies/global-magnitude';
export {
  l1SensitivityPolicy,
  type SensitivityCurve,
  type SensitivityOptions,
} from './policies/l1-sensitivity';
