/**
 * @packageDocumentation
 * A differentiable TensorFlow.js executor of the Metacompress IR. It runs on `@tensorflow/tfjs-node`
 * when installed, otherwise on the wasm backend (with the training kernels wasm lacks, composed
 * from kernels it has), otherwise on the cpu backend (with its slow filter gradients replaced),
 * and says which. Importing this entry registers the `tfjs-node` (30), `tfjs-wasm` (20) and
 * `tfjs-cpu` (10) differentiable backends in core's registry; `@metacompress/backend-tfjs/base`
 * exports the same API without registering.
 *
 * @example
 * import { initTfjs } from '@metacompress/backend-tfjs';
 * const { tf, engine } = await initTfjs({ log: console.log }); // "TensorFlow.js engine: tfjs-wasm (SIMD, 1 thread)…"
 * const loss = (w: tf.Tensor) => tf.sum(tf.square(w));
 * const dw = tf.grad(loss)(tf.tensor([1, 2, 3]));
 */
import { registerTfjsBackends } from './backend/register';

export {
  avgPoolCountScale,
  avgPoolGradConfig,
  avgPoolGradGradConfig,
  compose,
  conv2DBackpropFilterGradConfig,
  conv2DBackpropFilterKernel,
  conv2DGradConfig,
  createTfjsBackend,
  DEFAULT_ENGINE_ORDER,
  depthwiseBackpropFilterGradConfig,
  depthwiseBackpropInputGradConfig,
  depthwiseConv2dNativeBackpropFilterKernel,
  depthwiseConv2dNativeBackpropInputKernel,
  depthwiseConv2dNativeGradConfig,
  dilateFilter,
  eluGradGradConfig,
  engineOrderFromEnv,
  ensureCoreGradients,
  explicitSamePaddingKernel,
  hasCoreGradients,
  initTfjs,
  installTapeOrderFix,
  isTapeOrderFixInstalled,
  KernelComposer,
  locateWasmFiles,
  maxPoolGradGradConfig,
  maxPoolGradKernel,
  maxPoolPositions,
  MaxPoolSelect,
  maxPoolSelectGradConfig,
  maxPoolSelectKernel,
  maxPoolWithArgmaxKernel,
  nativeKernel,
  PIECEWISE_CONSTANT_BINARY_KERNELS,
  PIECEWISE_CONSTANT_UNARY_KERNELS,
  registerTfjsBackends,
  registerTrainingGradients,
  registerTrainingKernels,
  RESIZE_GRAD_KERNELS,
  resizeGradGradConfig,
  resolveEngineOrder,
  softmaxCrossEntropy,
  TFJS_BACKEND_ENV,
  TFJS_BACKEND_PRIORITIES,
  toEngineName,
  TRAINING_KERNELS,
  trainingGradientConfigs,
  uninstallTapeOrderFix,
  unsortedSegmentSumKernel,
  WASM_FILE_NAMES,
  zeroGradConfig,
  type GraphExecutor,
  type InitTfjsOptions,
  type KernelInstall,
  type RegisterTfjsOptions,
  type TfjsDifferentiableBackend,
  type TfjsEngineChoice,
  type TfjsEngineName,
  type TfjsRuntime,
  type TrainingKernelSpec,
} from './base';

registerTfjsBackends();
