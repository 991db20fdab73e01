import {
  Conv2DBackpropFilter,
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  EluGrad,
  Equal,
  Greater,
  GreaterEqual,
  IsFinite,
  IsInf,
  IsNan,
  Less,
  LessEqual,
  LogicalAnd,
  LogicalNot,
  LogicalOr,
  LogicalXor,
  NotEqual,
  ResizeBilinear,
  ResizeBilinearGrad,
  ResizeNearestNeighbor,
  ResizeNearestNeighborGrad,
  add,
  cast,
  conv2d,
  engine,
  less,
  mul,
  zeros,
  type GradConfig,
  type NamedAttrMap,
  type Tensor,
  type Tensor4D,
} from '@tensorflow/tfjs-core';
import {
  conv2dBackpropInput,
  depthwiseBackpropFilter,
  depthwiseBackpropInput,
  type ConvAttrs,
} from './backprop-ops';

/**
 * Gradient of `Conv2DBackpropFilter` (bilinear in `x` and `dy`), needed when a first-order
 * gradient through a convolution is differentiated again (second-order MAML, Hessian-vector
 * products): for an incoming `ddW`, `x` gets `Conv2DBackpropInput(dy, ddW)` and `dy` gets
 * `Conv2D(x, ddW)`.
 *
 * @example
 * registerGradient(conv2DBackpropFilterGradConfig);
 */
export const conv2DBackpropFilterGradConfig: GradConfig = {
  kernelName: Conv2DBackpropFilter,
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved as [Tensor4D, Tensor4D];
    const a = attrs as unknown as ConvAttrs;
    return {
      x: () => conv2dBackpropInput(x.shape, dy, ddw as Tensor, a),
      dy: () => conv2d(x, ddw as Tensor4D, a.strides, a.pad, a.dataFormat ?? 'NHWC', 1, a.dimRoundingMode),
    };
  },
};

function depthwise(x: Tensor, filter: Tensor, a: ConvAttrs): Tensor {
  const attrs = {
    strides: a.strides,
    pad: a.pad,
    dilations: a.dilations ?? 1,
    dimRoundingMode: a.dimRoundingMode,
  };
  return engine().runKernel(DepthwiseConv2dNative, { x, filter }, attrs as unknown as NamedAttrMap) as Tensor;
}

/**
 * Gradient of `DepthwiseConv2dNativeBackpropFilter` (bilinear in `x` and `dy`), for second
 * derivatives through depthwise convolutions.
 *
 * @example
 * registerGradient(depthwiseBackpropFilterGradConfig);
 */
export const depthwiseBackpropFilterGradConfig: GradConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved as [Tensor4D, Tensor4D];
    const a = attrs as unknown as ConvAttrs;
    return {
      x: () => depthwiseBackpropInput(x.shape, dy, ddw as Tensor, a),
      dy: () => depthwise(x, ddw as Tensor, a),
    };
  },
};

/**
 * Gradient of `DepthwiseConv2dNativeBackpropInput` (bilinear in `dy` and `filter`), for second
 * derivatives through depthwise convolutions.
 *
 * @example
 * registerGradient(depthwiseBackpropInputGradConfig);
 */
export const depthwiseBackpropInputGradConfig: GradConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx, saved, attrs) => {
    const [dy, filter] = saved as [Tensor4D, Tensor4D];
    const a = attrs as unknown as ConvAttrs;
    return {
      dy: () => depthwise(ddx as Tensor, filter, a),
      filter: () => depthwiseBackpropFilter(ddx as Tensor, dy, filter.shape, a),
    };
  },
};

/**
 * Gradient of `EluGrad` (`dx = dy · (y < 0 ? y + 1 : 1)` with `y = elu(x)`), for second
 * derivatives through ELU.
 *
 * @example
 * registerGradient(eluGradGradConfig);
 */
export const eluGradGradConfig: GradConfig = {
  kernelName: EluGrad,
  inputsToSave: ['dy', 'y'],
  gradFunc: (ddx, saved) => {
    const [dy, y] = saved as [Tensor, Tensor];
    const negative = cast(less(y, 0), 'float32');
    return {
      dy: () => mul(ddx as Tensor, add(mul(negative, y), 1)),
      y: () => mul(mul(ddx as Tensor, dy), negative),
    };
  },
};

/**
 * Gradient of a resize's backprop kernel (`ResizeBilinearGrad`, `ResizeNearestNeighborGrad`):
 * it is linear in `dy`, and its adjoint is the forward resize to `dy`'s size with the same
 * attributes; `images` only gives the shape.
 *
 * @example
 * registerGradient(resizeGradGradConfig(ResizeBilinearGrad, ResizeBilinear));
 */
export function resizeGradGradConfig(gradKernel: string, forwardKernel: string): GradConfig {
  return {
    kernelName: gradKernel,
    inputsToSave: ['dy', 'images'],
    gradFunc: (ddx, saved, attrs) => {
      const [dy, images] = saved as [Tensor4D, Tensor4D];
      const a = attrs as unknown as { alignCorners: boolean; halfPixelCenters: boolean };
      const forwardAttrs = {
        alignCorners: a.alignCorners,
        halfPixelCenters: a.halfPixelCenters,
        size: [dy.shape[1], dy.shape[2]],
      };
      return {
        dy: () =>
          engine().runKernel(
            forwardKernel,
            { images: ddx as Tensor },
            forwardAttrs as unknown as NamedAttrMap,
          ) as Tensor,
        images: () => zeros(images.shape),
      };
    },
  };
}

/**
 * The resize backprop kernels and their forward kernels.
 *
 * @example
 * RESIZE_GRAD_KERNELS.forEach(([grad, forward]) => registerGradient(resizeGradGradConfig(grad, forward)));
 */
export const RESIZE_GRAD_KERNELS = [
  [ResizeBilinearGrad, ResizeBilinear],
  [ResizeNearestNeighborGrad, ResizeNearestNeighbor],
] as const;

/**
 * Binary kernels whose outputs are piecewise constant (booleans): zero gradient everywhere.
 *
 * @example
 * PIECEWISE_CONSTANT_BINARY_KERNELS.forEach((k) => registerGradient(zeroGradConfig(k, ['a', 'b'])));
 */
export const PIECEWISE_CONSTANT_BINARY_KERNELS = [
  Equal,
  NotEqual,
  Greater,
  GreaterEqual,
  Less,
  LessEqual,
  LogicalAnd,
  LogicalOr,
  LogicalXor,
] as const;

/**
 * Unary kernels whose outputs are piecewise constant (booleans): zero gradient everywhere.
 *
 * @example
 * PIECEWISE_CONSTANT_UNARY_KERNELS.forEach((k) => registerGradient(zeroGradConfig(k, ['x'])));
 */
export const PIECEWISE_CONSTANT_UNARY_KERNELS = [LogicalNot, IsNan, IsInf, IsFinite] as const;

/**
 * A zero gradient for a comparison or logical kernel. tfjs-core registers none, which is harmless
 * for first derivatives but makes a second derivative fail ("gradient function not found") as
 * soon as a first-order gradient compared a differentiated value (ReLU6, clipping, max-reductions,
 * leaky ReLU…).
 *
 * @example
 * registerGradient(zeroGradConfig('Greater', ['a', 'b']));
 */
export function zeroGradConfig(kernelName: string, inputNames: readonly string[]): GradConfig {
  return {
    kernelName,
    inputsToSave: [...inputNames],
    gradFunc: (_dy, saved) => {
      const grads: Record<string, () => Tensor> = {};
      inputNames.forEach((name, i) => {
        grads[name] = () => zeros(saved[i]!.shape, 'float32');
      });
      return grads;
    },
  };
}
