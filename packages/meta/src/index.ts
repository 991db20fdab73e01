/**
 * @packageDocumentation
 * The meta-learning formulation of Metacompress (DESIGN §5): the layer featurizer, the policy
 * network Φ (functional, on TensorFlow.js or on the host), the budget projection, soft channel
 * masks for differentiable evaluation, and zero-shot prediction π = Φ(M, r). Learners (MAML,
 * first-order MAML, Reptile), meta-training and a shipped trained Φ come later.
 *
 * @example
 * import { createPolicyNetwork, policyFromNetwork } from '@metacompress/meta';
 * const policy = policyFromNetwork(graph, { metric: 'macs', ratio: 0.5 }, createPolicyNetwork({ seed: 1 }));
 */
export {
  FEATURES,
  FEATURE_COUNT,
  FEATURE_NAMES,
  OP_KINDS,
  featureIndex,
  type FeatureSpec,
  type OpKind,
} from './features/feature-names';
export {
  channelImportance,
  gini,
  normalizedEntropy,
  type ChannelImportance,
} from './features/channel-importance';
export {
  featureMatrix,
  featurizeGroups,
  type FeaturizeOptions,
  type GroupFeatures,
  type GroupValues,
} from './features/featurize-groups';
export { measureSensitivity, type SensitivityOptions } from './features/sensitivity';
export {
  DEFAULT_BIT_WIDTHS,
  checkPolicyParams,
  cloneParams,
  createPolicyNetwork,
  initPolicyParams,
  policyParamShapes,
  shapeSize,
  validatePolicyConfig,
  type CreatePolicyNetworkOptions,
  type PolicyActivation,
  type PolicyNetwork,
  type PolicyNetworkConfig,
  type PolicyParams,
} from './network/policy-network';
export {
  paramsToTensors,
  policyForward,
  tensorsToParams,
  type PolicyOutputs,
  type TensorParams,
  type Tf,
} from './network/forward';
export { policyForwardHost, type HostPolicyOutputs } from './network/forward-host';
export {
  POLICY_CHECKPOINT_FORMAT,
  POLICY_CHECKPOINT_VERSION,
  parsePolicyNetwork,
  serializePolicyNetwork,
  type CheckpointTensor,
  type ParsePolicyNetworkOptions,
  type PolicyCheckpoint,
} from './network/checkpoint';
export { projectBudget, type BudgetProjection, type ProjectBudgetOptions } from './projection/project-budget';
export {
  differentiableKeep,
  marginalCosts,
  type DifferentiableKeepOptions,
  type ShiftGradient,
} from './projection/differentiable-keep';
export {
  hardChannelMask,
  rankChannels,
  softChannelMask,
  softGroupMasks,
  type GroupRanking,
} from './masks/soft-masks';
export { policyFromNetwork, type PolicyFromNetworkOptions } from './policy-from-network';
