import {
  Conv2D,
  DepthwiseConv2dNative,
  pad as padOp,
  reshape,
  slice,
  type GradConfig,
  type Tensor,
  type Tensor4D,
} from '@tensorflow/tfjs-core';
import {
  conv2dBackpropFilter,
  conv2dBackpropInput,
  depthwiseBackpropFilter,
  depthwiseBackpropInput,
  type ConvAttrs,
} from './backprop-ops';

function pair(v: number | [number, number] | undefined): [number, number] {
  if (v === undefined) return [1, 1];
  return typeof v === 'number' ? [v, v] : v;
}

/**
 * The filter with `d−1` zeros inserted between taps: a convolution with dilation `d` equals a
 * dilation-1 convolution with this filter. Built from differentiable ops.
 *
 * @example
 * dilateFilter(w, [2, 2]); // [3,3,C,K] → [5,5,C,K]
 */
export function dilateFilter(filter: Tensor4D, [dh, dw]: [number, number]): Tensor4D {
  if (dh === 1 && dw === 1) return filter;
  const [kh, kw, a, b] = filter.shape;
  const r = reshape(filter, [kh, 1, kw, 1, a, b]);
  const p = padOp(r, [
    [0, 0],
    [0, dh - 1],
    [0, 0],
    [0, dw - 1],
    [0, 0],
    [0, 0],
  ]);
  const q = reshape(p, [kh * dh, kw * dw, a, b]);
  return slice(q, [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, a, b]) as Tensor4D;
}

/**
 * Every `d`-th tap of a dilated filter's gradient: the inverse of {@link dilateFilter}. Built from
 * pad, reshape and slice (tfjs-core has no gradient for `stridedSlice`) so that it can be
 * differentiated again.
 */
function undilate(g: Tensor4D, [dh, dw]: [number, number]): Tensor4D {
  if (dh === 1 && dw === 1) return g;
  const [h, w, a, b] = g.shape;
  const kh = (h - 1) / dh + 1;
  const kw = (w - 1) / dw + 1;
  const full = padOp(g, [
    [0, dh - 1],
    [0, dw - 1],
    [0, 0],
    [0, 0],
  ]);
  const taps = slice(reshape(full, [kh, dh, kw, dw, a, b]), [0, 0, 0, 0, 0, 0], [kh, 1, kw, 1, a, b]);
  return reshape(taps, [kh, kw, a, b]);
}

/**
 * Gradient of `Conv2D` that also handles dilation (tfjs-core's refuses it) and passes the
 * rounding mode on: with dilation `d`, the gradients are those of the dilation-1 convolution
 * with the zero-dilated filter, the filter gradient read back at every `d`-th tap.
 *
 * @example
 * registerGradient(conv2DGradConfig);
 */
export const conv2DGradConfig: GradConfig = {
  kernelName: Conv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [Tensor4D, Tensor4D];
    const a = attrs as unknown as ConvAttrs;
    const dil = pair(a.dilations);
    const base: ConvAttrs = {
      strides: a.strides,
      pad: a.pad,
      dataFormat: a.dataFormat,
      dimRoundingMode: a.dimRoundingMode,
    };
    return {
      x: () => conv2dBackpropInput(x.shape, dy as Tensor, dilateFilter(filter, dil), base),
      filter: () => {
        const fd = dilateFilter(filter, dil);
        return undilate(conv2dBackpropFilter(x, dy as Tensor, fd.shape, base), dil);
      },
    };
  },
};

/**
 * Gradient of `DepthwiseConv2dNative` that also handles dilation (see {@link conv2DGradConfig}).
 *
 * @example
 * registerGradient(depthwiseConv2dNativeGradConfig);
 */
export const depthwiseConv2dNativeGradConfig: GradConfig = {
  kernelName: DepthwiseConv2dNative,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [Tensor4D, Tensor4D];
    const a = attrs as unknown as ConvAttrs;
    const dil = pair(a.dilations);
    const base: ConvAttrs = {
      strides: a.strides,
      pad: a.pad,
      dimRoundingMode: a.dimRoundingMode,
      dilations: 1,
    };
    return {
      x: () => depthwiseBackpropInput(x.shape, dy as Tensor, dilateFilter(filter, dil), base),
      filter: () => {
        const fd = dilateFilter(filter, dil);
        return undilate(depthwiseBackpropFilter(x, dy as Tensor, fd.shape, base), dil);
      },
    };
  },
};
