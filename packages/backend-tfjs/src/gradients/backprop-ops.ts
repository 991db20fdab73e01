import {
  AvgPoolGrad,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  MaxPoolGrad,
  engine,
  type NamedAttrMap,
  type Tensor,
  type Tensor4D,
} from '@tensorflow/tfjs-core';

/** Padding as tfjs-core's conv and pool kernels take it. */
export type ConvPad =
  'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/** The attributes shared by conv/pool backprop kernels. */
export interface ConvAttrs {
  strides: number | [number, number];
  pad: ConvPad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
}

function run(kernel: string, inputs: Record<string, Tensor>, attrs: object): Tensor4D {
  return engine().runKernel(kernel, inputs, attrs as unknown as NamedAttrMap) as Tensor4D;
}

/**
 * d(loss)/d(filter) of a 2-D convolution (tfjs-core keeps this op private): runs the
 * `Conv2DBackpropFilter` kernel through the engine so that it is recorded on the tape.
 *
 * @example
 * const dW = conv2dBackpropFilter(x, dy, [5, 5, 1, 6], { strides: 1, pad: 'valid' });
 */
export function conv2dBackpropFilter(x: Tensor, dy: Tensor, filterShape: number[], a: ConvAttrs): Tensor4D {
  return run(
    Conv2DBackpropFilter,
    { x, dy },
    {
      strides: a.strides,
      pad: a.pad,
      dataFormat: a.dataFormat ?? 'NHWC',
      dimRoundingMode: a.dimRoundingMode,
      filterShape,
    },
  );
}

/**
 * d(loss)/d(input) of a 2-D convolution, through the engine.
 *
 * @example
 * const dx = conv2dBackpropInput(x.shape, dy, filter, { strides: 2, pad: 'same' });
 */
export function conv2dBackpropInput(
  inputShape: number[],
  dy: Tensor,
  filter: Tensor,
  a: ConvAttrs,
): Tensor4D {
  return run(
    Conv2DBackpropInput,
    { dy, filter },
    {
      strides: a.strides,
      pad: a.pad,
      dataFormat: a.dataFormat ?? 'NHWC',
      dimRoundingMode: a.dimRoundingMode,
      inputShape,
    },
  );
}

/**
 * d(loss)/d(filter) of a depthwise convolution, through the engine.
 *
 * @example
 * const dW = depthwiseBackpropFilter(x, dy, [3, 3, 8, 2], { strides: 1, pad: 'same' });
 */
export function depthwiseBackpropFilter(
  x: Tensor,
  dy: Tensor,
  filterShape: number[],
  a: ConvAttrs,
): Tensor4D {
  return run(
    DepthwiseConv2dNativeBackpropFilter,
    { x, dy },
    {
      strides: a.strides,
      pad: a.pad,
      dilations: a.dilations ?? 1,
      dimRoundingMode: a.dimRoundingMode,
      filterShape,
    },
  );
}

/**
 * d(loss)/d(input) of a depthwise convolution, through the engine.
 *
 * @example
 * const dx = depthwiseBackpropInput(x.shape, dy, filter, { strides: 1, pad: 'same' });
 */
export function depthwiseBackpropInput(
  inputShape: number[],
  dy: Tensor,
  filter: Tensor,
  a: ConvAttrs,
): Tensor4D {
  return run(
    DepthwiseConv2dNativeBackpropInput,
    { dy, filter },
    {
      strides: a.strides,
      pad: a.pad,
      dilations: a.dilations ?? 1,
      dimRoundingMode: a.dimRoundingMode,
      inputShape,
    },
  );
}

/** Pooling attributes. */
export interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: ConvPad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * d(loss)/d(input) of max pooling, through the engine.
 *
 * @example
 * const dx = maxPoolBackprop(dy, x, y, { filterSize: 2, strides: 2, pad: 'valid' });
 */
export function maxPoolBackprop(dy: Tensor, input: Tensor, output: Tensor, a: PoolAttrs): Tensor4D {
  return run(MaxPoolGrad, { dy, input, output }, a);
}

/**
 * tfjs-core's `AvgPoolGrad` kernel, through the engine. Note: it divides by the full window size,
 * also where the window overlaps padding (see `avgPoolGradConfig` of this package for the fix).
 *
 * @example
 * const dx = avgPoolBackpropRaw(dy, x, { filterSize: 2, strides: 2, pad: 'valid' });
 */
export function avgPoolBackpropRaw(dy: Tensor, input: Tensor, a: PoolAttrs): Tensor4D {
  return run(AvgPoolGrad, { dy, input }, { filterSize: a.filterSize, strides: a.strides, pad: a.pad });
}
