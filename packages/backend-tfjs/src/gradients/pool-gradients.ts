import {
  AvgPool,
  AvgPoolGrad,
  MaxPoolGrad,
  avgPool,
  backend_util,
  engine,
  maxPool,
  mul,
  reciprocal,
  tensor4d,
  zeros,
  type GradConfig,
  type NamedAttrMap,
  type Tensor,
  type Tensor4D,
} from '@tensorflow/tfjs-core';
import { MaxPoolSelect } from '../kernels/max-pool-select';
import { avgPoolBackpropRaw, maxPoolBackprop, type PoolAttrs } from './backprop-ops';

/**
 * `K / count` for every output of average pooling, as a `[1, OH, OW, 1]` tensor, or `undefined`
 * when every window lies inside the input (then `count = K` everywhere). `K` is the window size
 * and `count` the number of input pixels the window really covers: tfjs-core's forward pass
 * averages over `count`, its `AvgPoolGrad` kernel divides by `K`.
 *
 * @example
 * avgPoolCountScale([1, 5, 5, 1], { filterSize: 3, strides: 2, pad: 'same' }); // 2.25 at corners
 */
export function avgPoolCountScale(inShape: number[], a: PoolAttrs): Tensor4D | undefined {
  const info = backend_util.computePool2DInfo(
    inShape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const k = info.filterHeight * info.filterWidth;
  const covered = (o: number, stride: number, padBefore: number, size: number, extent: number) => {
    const start = o * stride - padBefore;
    return Math.min(start + size, extent) - Math.max(start, 0);
  };
  const scale = new Float32Array(info.outHeight * info.outWidth);
  let partial = false;
  for (let oh = 0; oh < info.outHeight; oh++) {
    const rows = covered(oh, info.strideHeight, info.padInfo.top, info.filterHeight, info.inHeight);
    for (let ow = 0; ow < info.outWidth; ow++) {
      const cols = covered(ow, info.strideWidth, info.padInfo.left, info.filterWidth, info.inWidth);
      const count = rows * cols;
      if (count !== k) partial = true;
      scale[oh * info.outWidth + ow] = count > 0 ? k / count : 0;
    }
  }
  return partial ? tensor4d(scale, [1, info.outHeight, info.outWidth, 1]) : undefined;
}

function poolAttrs(attrs: NamedAttrMap): PoolAttrs {
  return attrs as unknown as PoolAttrs;
}

/**
 * Gradient of `AvgPool` that matches its forward pass where windows overlap the padding
 * (tfjs-core's divides by the full window size there, so SAME-padded average pooling gets wrong
 * gradients at the borders): `dx = AvgPoolGrad(dy · K / count)`.
 *
 * @example
 * registerGradient(avgPoolGradConfig);
 */
export const avgPoolGradConfig: GradConfig = {
  kernelName: AvgPool,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [Tensor4D];
    const a = poolAttrs(attrs);
    return {
      x: () => {
        const scale = avgPoolCountScale(x.shape, a);
        return avgPoolBackpropRaw(scale ? mul(dy as Tensor, scale) : (dy as Tensor), x, a);
      },
    };
  },
};

/**
 * Gradient of the `AvgPoolGrad` kernel (linear in `dy`; its adjoint is average pooling with the
 * same divisor `K`), for second derivatives.
 *
 * @example
 * registerGradient(avgPoolGradGradConfig);
 */
export const avgPoolGradGradConfig: GradConfig = {
  kernelName: AvgPoolGrad,
  inputsToSave: ['input'],
  gradFunc: (ddx, saved, attrs) => {
    const [input] = saved as [Tensor4D];
    const a = poolAttrs(attrs);
    return {
      dy: () => {
        const pooled = avgPool(ddx as Tensor4D, a.filterSize, a.strides, a.pad as 'same' | 'valid' | number);
        const scale = avgPoolCountScale(input.shape, a);
        // avgPool divides by `count`; AvgPoolGrad's adjoint divides by K: multiply by count / K.
        return scale ? mul(pooled, reciprocal(scale)) : pooled;
      },
      input: () => zeros(input.shape),
    };
  },
};

/**
 * Gradient of the `MaxPoolGrad` kernel, for second derivatives: with respect to `dy` it is the
 * value of the incoming gradient at each window's maximum ({@link MaxPoolSelect}); the positions
 * of the maxima are locally constant, so `input` and `output` get zeros.
 *
 * @example
 * registerGradient(maxPoolGradGradConfig);
 */
export const maxPoolGradGradConfig: GradConfig = {
  kernelName: MaxPoolGrad,
  inputsToSave: ['input', 'output'],
  gradFunc: (ddx, saved, attrs) => {
    const [input, output] = saved as [Tensor4D, Tensor4D];
    const a = poolAttrs(attrs);
    return {
      dy: () =>
        engine().runKernel(
          MaxPoolSelect,
          { values: ddx as Tensor, input },
          { filterSize: a.filterSize, strides: a.strides, pad: a.pad as 'same' },
        ) as Tensor,
      input: () => zeros(input.shape),
      output: () => zeros(output.shape),
    };
  },
};

/**
 * Gradient of the {@link MaxPoolSelect} kernel (third derivatives and beyond): routing back to
 * the maxima is `MaxPoolGrad` itself.
 *
 * @example
 * registerGradient(maxPoolSelectGradConfig);
 */
export const maxPoolSelectGradConfig: GradConfig = {
  kernelName: MaxPoolSelect,
  inputsToSave: ['input'],
  gradFunc: (dy, saved, attrs) => {
    const [input] = saved as [Tensor4D];
    const a = poolAttrs(attrs);
    return {
      values: () =>
        maxPoolBackprop(dy as Tensor, input, maxPool(input, a.filterSize, a.strides, a.pad as 'same'), a),
      input: () => zeros(input.shape),
    };
  },
};
