import { backend_util } from '@tensorflow/tfjs-core';

type Pad = 'same' | 'valid' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** The geometry of a 2-D convolution in NHWC terms, as the backprop kernels need it. */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

/**
 * Resolves the geometry of a convolution exactly as tfjs-core does (SAME, VALID, a number, or
 * explicit pads, with a rounding mode), so that composed kernels agree with the forward kernel.
 *
 * @example
 * const g = convGeometry([8, 28, 28, 1], [5, 5, 1, 6], 1, 1, 'valid', undefined, false, 'NHWC');
 * // g.outHeight === 24
 */
export function convGeometry(
  inShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  dilations: number | [number, number] | undefined,
  pad: Pad,
  dimRoundingMode: Rounding,
  depthwise: boolean,
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
): ConvGeometry {
  const info = backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    dimRoundingMode,
    depthwise,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Pads (or crops, when negative) so that an input read by a VALID correlation with the given
 * geometry covers exactly the rows and columns the forward convolution touched: top/left by the
 * forward padding, bottom/right up to `(k-1)·dilation + (out-1)·stride + 1`.
 *
 * @example
 * const [[top, bottom], [left, right]] = inputWindowPads(g);
 */
export function inputWindowPads(g: ConvGeometry): [[number, number], [number, number]] {
  const needH = (g.filterHeight - 1) * g.dilationHeight + (g.outHeight - 1) * g.strideHeight + 1;
  const needW = (g.filterWidth - 1) * g.dilationWidth + (g.outWidth - 1) * g.strideWidth + 1;
  return [
    [g.padTop, needH - g.inHeight - g.padTop],
    [g.padLeft, needW - g.inWidth - g.padLeft],
  ];
}
