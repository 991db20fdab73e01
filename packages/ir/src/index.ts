/**
 * @packageDocumentation
 * The Metacompress graph IR: tensors of every ONNX type, graphs as plain immutable data, a lossless
 * ONNX codec, a TF.js codec, shape inference, a cost model, channel-coupling analysis and rewrites.
 *
 * @example
 * import { loadOnnx, analyzeCoupling, costOf } from '@metacompress/ir';
 */
export { DataType, bitsOf, byteLengthOf, dataTypeName, isFloatType } from './dtype';
export { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from './float16';
export {
  MAX_ELEMENTS,
  createTensor,
  elementCount,
  packInt4,
  tensorSize,
  toFloat32,
  toNumbers,
  toTypedArray,
  unpackInt4,
  withFloat32,
  type ExternalDataRef,
  type Tensor,
  type TensorInput,
} from './tensor';
export type { Attribute, Dim, Graph, GraphBody, ModelInfo, Node, OpsetImport, TypeInfo, ValueInfo } from './graph';
export { indexGraph, nodeLabel, type GraphIndex } from './graph-index';
export { attrFloat, attrFloats, attrInt, attrInts, attrString } from './attributes';
export { matchesSelector, parseSelector, selectNodes, type Selector } from './select';
export {
  decodeOnnx,
  decodeTensorProto,
  type DecodeOnnxOptions,
  type DecodeTensorOptions,
} from './onnx/decode';
export {
  encodeOnnx,
  encodeOnnxWithExternalData,
  encodeTensorProto,
  type EncodeOnnxOptions,
  type EncodedOnnxWithExternalData,
  type ExternalDataOptions,
} from './onnx/encode';
export { loadOnnx, saveOnnx, type LoadOnnxOptions, type SaveOnnxOptions } from './onnx/files';
export { checkExternalLocation } from './onnx/external-data';
export { Int64Value } from './onnx/reader';
export { ONNX_PROTO, onnxTypes, type OnnxTypes } from './onnx/onnx-schema';
export {
  DEFAULT_MAX_VALUE_ELEMENTS,
  DEFAULT_OPSET,
  inferShapes,
  initializersOverridable,
  type InferShapesOptions,
} from './shape/infer-shapes';
export { dimsProduct, knownElements, staticShape, type ValueShape } from './shape/value-shape';
export { registerShapeRule, shapeRuleFor } from './shape/registry';
export type { ShapeContext, ShapeRule } from './shape/shape-rule';
export { broadcastDims } from './shape/dims';
export { costOf, tensorBytes, type CostOptions, type GraphCost, type NodeCost } from './cost/cost-of';
export { registerCostRule, type CostContext, type CostRule, type InputRole } from './cost/cost-rule';
export { foldConstants, type FoldOptions } from './fold/fold-constants';
export { analyzeCoupling } from './coupling/analyze-coupling';
export type { ActivationSlice, ChannelSlice, ChannelSliceRole, CouplingGroup, CouplingOptions, KnownShapes } from './coupling/types';
export {
  registerChannelRule,
  registeredChannelRule,
  type ChannelEdit,
  type ChannelEditContext,
  type ChannelRule,
  type ChannelRuleContext,
  type ChannelValue,
  type ConstantWeight,
  type SpanRef,
} from './coupling/channel-rule';
export { builtinChannelOps } from './coupling/builtin-rules';
export { channelVectors, readGroupWeights, type GroupWeightSlice } from './coupling/group-weights';
export { removeChannels, type KeepMap } from './rewrite/remove-channels';
export { takeAlongAxis } from './rewrite/take-along-axis';
export { foldBatchNorm } from './rewrite/fold-batch-norm';
export { insertQdq, stripQdq, type InsertQdqOptions, type QdqSpec } from './rewrite/qdq';
export {
  bisectMonotone,
  createCostEstimator,
  estimateCost,
  freeGroups,
  keepCandidates,
  keepCount,
  refineKeeps,
  solveBudget,
  solveUniformRatio,
  uniformFamily,
  type BisectResult,
  type BudgetSolution,
  type CostBudget,
  type CostEstimate,
  type CostEstimator,
  type CostEstimatorOptions,
  type CostMetric,
  type KeepCounts,
  type KeepFamily,
  type KeepRounding,
  type SolveBudgetOptions,
} from './budget/index';
export { decodeTfjs, TFJS_DECODE_OPSET, type DecodeTfjsOptions } from './tfjs/decode';
export { encodeTfjs, TFJS_LAYERS_VERSION, type EncodeTfjsOptions, type EncodedTfjs } from './tfjs/encode';
export { loadTfjs, saveTfjs, type LoadTfjsOptions, type SaveTfjsOptions, type SavedTfjs } from './tfjs/files';
export {
  parseTfjsModelJson,
  type KerasJson,
  type TfjsModelJson,
  type TfjsQuantization,
  type TfjsWeightSpec,
  type TfjsWeightsGroup,
} from './tfjs/model-json';
export { DEFAULT_SHARD_BYTES, packTfjsWeights, readTfjsWeights, shardPaths, weightByteLength, type TfjsWeightValue } from './tfjs/weights';
export { readKerasTopology, type KerasLayer, type KerasTopology, type LayerCall, type TensorRef } from './tfjs/keras-topology';
