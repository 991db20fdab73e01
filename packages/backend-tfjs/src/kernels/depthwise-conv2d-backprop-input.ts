import {
  DepthwiseConv2dNativeBackpropInput,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { convGeometry } from './conv-geometry';
import { compose } from './kernel-composer';

interface Attrs {
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

/**
 * `DepthwiseConv2dNativeBackpropInput` (NHWC, any channel multiplier M) composed from kernels
 * every backend has: the transposed convolution is a stride-1 depthwise correlation of `dy`
 * (zeros inserted between rows and columns for the forward stride, then padded by
 * `(k−1)·d − pad`) with the spatially flipped filter at the forward dilation, followed by a sum
 * over the M outputs of each input channel.
 *
 * @example
 * registerKernel(depthwiseConv2dNativeBackpropInputKernel('wasm'));
 */
export function depthwiseConv2dNativeBackpropInputKernel(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as Attrs;
    const g = convGeometry(
      a.inputShape,
      filter.shape,
      a.strides,
      a.dilations,
      a.pad,
      a.dimRoundingMode,
      true,
    );
    const n = g.batch;
    const c = g.inChannels;
    const cm = g.outChannels;
    const m = cm / c;
    return compose(backend, backendName, (k) => {
      const sh = g.strideHeight;
      const sw = g.strideWidth;
      let up = dy;
      if (sh > 1 || sw > 1) {
        // Zero insertion: [N,OH,1,OW,1,CM] padded to [N,OH,sh,OW,sw,CM] is dy on a stride grid.
        const d6 = k.reshape(dy, [n, g.outHeight, 1, g.outWidth, 1, cm]);
        const p6 = k.padOrCrop(d6, [
          [0, 0],
          [0, 0],
          [0, sh - 1],
          [0, 0],
          [0, sw - 1],
          [0, 0],
        ]);
        up = k.reshape(p6, [n, g.outHeight * sh, g.outWidth * sw, cm]);
      }
      const reachH = (g.filterHeight - 1) * g.dilationHeight;
      const reachW = (g.filterWidth - 1) * g.dilationWidth;
      const top = reachH - g.padTop;
      const left = reachW - g.padLeft;
      const padded = k.padOrCrop(up, [
        [0, 0],
        [top, g.inHeight + reachH - top - up.shape[1]!],
        [left, g.inWidth + reachW - left - up.shape[2]!],
        [0, 0],
      ]);
      const flipped = k.run('Reverse', { x: filter }, { dims: [0, 1] });
      const f = k.reshape(flipped, [g.filterHeight, g.filterWidth, cm, 1]);
      const r = k.run(
        'DepthwiseConv2dNative',
        { x: padded, filter: f },
        { strides: [1, 1], dilations: [g.dilationHeight, g.dilationWidth], pad: 'valid' },
      ); // [N, H, W, C·M]
      if (m === 1) return r;
      return k.sum(k.reshape(r, [n, g.inHeight, g.inWidth, c, m]), [4]);
    });
  };
  return { kernelName: DepthwiseConv2dNativeBackpropInput, backendName, kernelFunc };
}
