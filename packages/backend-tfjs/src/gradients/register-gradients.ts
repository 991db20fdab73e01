import { registerGradient, type GradConfig } from '@tensorflow/tfjs-core';
import { conv2DGradConfig, depthwiseConv2dNativeGradConfig } from './conv-gradients';
import {
  PIECEWISE_CONSTANT_BINARY_KERNELS,
  PIECEWISE_CONSTANT_UNARY_KERNELS,
  conv2DBackpropFilterGradConfig,
  depthwiseBackpropFilterGradConfig,
  depthwiseBackpropInputGradConfig,
  eluGradGradConfig,
  RESIZE_GRAD_KERNELS,
  resizeGradGradConfig,
  zeroGradConfig,
} from './higher-order-gradients';
import {
  avgPoolGradConfig,
  avgPoolGradGradConfig,
  maxPoolGradGradConfig,
  maxPoolSelectGradConfig,
} from './pool-gradients';

/**
 * The gradient functions this package registers on top of tfjs-core's: corrected ones (dilated
 * convolutions, SAME-padded average pooling) and the gradients of backprop kernels and
 * comparisons that second derivatives need.
 *
 * @example
 * trainingGradientConfigs().map((c) => c.kernelName); // ['Conv2D', 'DepthwiseConv2dNative', 'AvgPool', …]
 */
export function trainingGradientConfigs(): GradConfig[] {
  return [
    conv2DGradConfig,
    depthwiseConv2dNativeGradConfig,
    avgPoolGradConfig,
    conv2DBackpropFilterGradConfig,
    depthwiseBackpropFilterGradConfig,
    depthwiseBackpropInputGradConfig,
    avgPoolGradGradConfig,
    maxPoolGradGradConfig,
    maxPoolSelectGradConfig,
    eluGradGradConfig,
    ...RESIZE_GRAD_KERNELS.map(([grad, forward]) => resizeGradGradConfig(grad, forward)),
    ...PIECEWISE_CONSTANT_BINARY_KERNELS.map((k) => zeroGradConfig(k, ['a', 'b'])),
    ...PIECEWISE_CONSTANT_UNARY_KERNELS.map((k) => zeroGradConfig(k, ['x'])),
  ];
}

let registered = false;

/**
 * Registers {@link trainingGradientConfigs} in tfjs-core's (process-wide) gradient registry, after
 * tfjs-core's own ones are present (they would otherwise overwrite these). Idempotent.
 *
 * @example
 * ensureCoreGradients();
 * registerTrainingGradients();
 */
export function registerTrainingGradients(): void {
  if (registered) return;
  for (const config of trainingGradientConfigs()) registerGradient(config);
  registered = true;
}
