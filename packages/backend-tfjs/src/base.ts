/**
 * The side-effect-free entry of `@metacompress/backend-tfjs`: everything the package exports,
 * without registering anything in core's backend registry (`index.ts` does that).
 *
 * @example
 * import { initTfjs } from '@metacompress/backend-tfjs/base';
 */
export { initTfjs, type InitTfjsOptions, type TfjsRuntime } from './engine/init-tfjs';
export {
  DEFAULT_ENGINE_ORDER,
  TFJS_BACKEND_ENV,
  engineOrderFromEnv,
  resolveEngineOrder,
  toEngineName,
  type TfjsEngineChoice,
  type TfjsEngineName,
} from './engine/engine-names';
export { locateWasmFiles, WASM_FILE_NAMES } from './engine/wasm-files';
export { ensureCoreGradients, hasCoreGradients } from './engine/core-gradients';
export {
  createTfjsBackend,
  type GraphExecutor,
  type TfjsDifferentiableBackend,
} from './backend/tfjs-backend';
export { registerTfjsBackends, TFJS_BACKEND_PRIORITIES, type RegisterTfjsOptions } from './backend/register';
export { KernelComposer, compose } from './kernels/kernel-composer';
export { conv2DBackpropFilterKernel } from './kernels/conv2d-backprop-filter';
export {
  CONV2D_BACKPROP_INPUT_MIN_MACS,
  conv2DBackpropInputKernel,
  conv2DBackpropInputRoute,
  type Conv2DBackpropInputRoute,
} from './kernels/conv2d-backprop-input';
export { convGeometry, type ConvGeometry } from './kernels/conv-geometry';
export { depthwiseConv2dNativeBackpropFilterKernel } from './kernels/depthwise-conv2d-backprop-filter';
export { depthwiseConv2dNativeBackpropInputKernel } from './kernels/depthwise-conv2d-backprop-input';
export { unsortedSegmentSumKernel } from './kernels/unsorted-segment-sum';
export { maxPoolGradKernel, maxPoolPositions, maxPoolWithArgmaxKernel } from './kernels/max-pool-positions';
export { explicitSamePaddingKernel } from './kernels/explicit-same-padding';
export { MaxPoolSelect, maxPoolSelectKernel } from './kernels/max-pool-select';
export {
  TRAINING_KERNELS,
  nativeKernel,
  registerTrainingKernels,
  type KernelInstall,
  type TrainingKernelSpec,
} from './kernels/training-kernels';
export { conv2DGradConfig, depthwiseConv2dNativeGradConfig, dilateFilter } from './gradients/conv-gradients';
export {
  avgPoolCountScale,
  avgPoolGradConfig,
  avgPoolGradGradConfig,
  maxPoolGradGradConfig,
  maxPoolSelectGradConfig,
} from './gradients/pool-gradients';
export {
  PIECEWISE_CONSTANT_BINARY_KERNELS,
  PIECEWISE_CONSTANT_UNARY_KERNELS,
  conv2DBackpropFilterGradConfig,
  depthwiseBackpropFilterGradConfig,
  depthwiseBackpropInputGradConfig,
  eluGradGradConfig,
  RESIZE_GRAD_KERNELS,
  resizeGradGradConfig,
  zeroGradConfig,
} from './gradients/higher-order-gradients';
export { softmaxCrossEntropy } from './losses/softmax-cross-entropy';
export { registerTrainingGradients, trainingGradientConfigs } from './gradients/register-gradients';
export {
  installTapeOrderFix,
  isTapeOrderFixInstalled,
  uninstallTapeOrderFix,
} from './gradients/tape-order-fix';
export {
  buildExecutor,
  type BuildExecutorOptions,
  type Executor,
  type ForwardOptions,
  type ForwardResult,
  type TrainableSpec,
} from './executor/build-executor';
export { BUILTIN_OPS, registerTfjsOp, supportedTfjsOps, tfjsOpHandler } from './executor/op-registry';
export type { BatchNormUpdate, ForwardSettings, ForwardState, OpContext, OpHandler } from './executor/op-context';
export {
  channelsLastTensor,
  constValue,
  layoutOf,
  logicalTensor,
  shapeOf,
  storedAs,
  tensorValue,
  type ConstValue,
  type RuntimeValue,
  type TensorValue,
  type WeightValue,
} from './executor/runtime-value';
export type { Layout, Tf } from './executor/layout';
export { applyMask, maskSites, type ChannelMasks, type MaskSite } from './executor/masks';
export { prepareGraph, type PreparedGraph } from './executor/prepare-graph';
export { irGraphExecutor, weightGradients } from './executor/graph-executor';
export { crossEntropy, crossEntropyPerSample } from './train/losses';
export { createOptimizer, type Optimizer, type OptimizerName, type OptimizerSpec } from './train/optimizers';
export { learningRateAt, type LearningRateSchedule } from './train/schedules';
export { train, type LossContext, type LossFunction, type TrainOptions, type TrainResult, type TrainStep } from './train/train';
export { evaluate, type EvaluateOptions } from './train/evaluate';
