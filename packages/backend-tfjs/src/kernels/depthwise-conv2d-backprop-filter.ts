import {
  DepthwiseConv2dNativeBackpropFilter,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { convGeometry, inputWindowPads } from './conv-geometry';
import { compose } from './kernel-composer';

interface Attrs {
  strides: number | [number, number];
  dilations?: number | [number, number];
  pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * `DepthwiseConv2dNativeBackpropFilter` (NHWC, any channel multiplier M) composed from kernels
 * every backend has. For each input channel c the gradient
 * `dW[kh,kw,c,m] = Σ_{n,oh,ow} x[n, oh·s + kh·d − pad, …, c] · dy[n,oh,ow,c·M+m]`
 * is one depthwise correlation over a single image whose channels are (n, c) pairs, with `dy`
 * (laid out as `[OH, OW, N·C, M]`) as the filter, followed by a sum over n.
 *
 * @example
 * registerKernel(depthwiseConv2dNativeBackpropFilterKernel('wasm'));
 */
export function depthwiseConv2dNativeBackpropFilterKernel(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as Attrs;
    const g = convGeometry(x.shape, a.filterShape, a.strides, a.dilations, a.pad, a.dimRoundingMode, true);
    const n = g.batch;
    const c = g.inChannels;
    const m = g.outChannels / g.inChannels;
    return compose(backend, backendName, (k) => {
      const [padH, padW] = inputWindowPads(g);
      const xp = k.padOrCrop(x, [[0, 0], padH, padW, [0, 0]]);
      const [, hp, wp] = xp.shape;
      const xt = k.reshape(k.transpose(xp, [1, 2, 0, 3]), [1, hp!, wp!, n * c]);
      const dy5 = k.reshape(dy, [n, g.outHeight, g.outWidth, c, m]);
      const dyt = k.reshape(k.transpose(dy5, [1, 2, 0, 3, 4]), [g.outHeight, g.outWidth, n * c, m]);
      const r = k.run(
        'DepthwiseConv2dNative',
        { x: xt, filter: dyt },
        {
          strides: [g.dilationHeight, g.dilationWidth],
          dilations: [g.strideHeight, g.strideWidth],
          pad: 'valid',
        },
      ); // [1, KH, KW, N·C·M]
      const perImage = k.reshape(r, [g.filterHeight, g.filterWidth, n, c * m]);
      const summed = n === 1 ? perImage : k.sum(perImage, [2]);
      return k.reshape(summed, [g.filterHeight, g.filterWidth, c, m]);
    });
  };
  return { kernelName: DepthwiseConv2dNativeBackpropFilter, backendName, kernelFunc };
}
