import {
  Conv2DBackpropFilter,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { convGeometry, inputWindowPads } from './conv-geometry';
import { compose } from './kernel-composer';

interface Attrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
  /** Not set by tfjs-core (its gradient refuses dilated convolutions); honoured when present. */
  dilations?: number | [number, number];
}

/**
 * `Conv2DBackpropFilter` composed from kernels every backend has: the filter gradient
 * `dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s + kh·d − pad, ow·s + kw·d − pad, ci] · dy[n,oh,ow,co]`
 * is itself a VALID correlation of the (padded) input, with batch and channels swapped, by `dy`
 * used as the filter; the forward stride becomes the dilation and the forward dilation the stride.
 * One big Conv2D (im2col + GEMM in XNNPACK or the cpu backend) instead of a scalar loop.
 *
 * @example
 * registerKernel(conv2DBackpropFilterKernel('wasm'));
 */
export function conv2DBackpropFilterKernel(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as Attrs;
    const dataFormat = a.dataFormat ?? 'NHWC';
    const g = convGeometry(
      x.shape,
      a.filterShape,
      a.strides,
      a.dilations,
      a.pad,
      a.dimRoundingMode,
      false,
      dataFormat,
    );
    return compose(backend, backendName, (k) => {
      const xNhwc = dataFormat === 'NCHW' ? k.transpose(x, [0, 2, 3, 1]) : x;
      const dyNhwc = dataFormat === 'NCHW' ? k.transpose(dy, [0, 2, 3, 1]) : dy;
      const [padH, padW] = inputWindowPads(g);
      const xp = k.padOrCrop(xNhwc, [[0, 0], padH, padW, [0, 0]]);
      const xt = k.transpose(xp, [3, 1, 2, 0]); // [Ci, H, W, N]: input channels act as the batch
      const dyt = k.transpose(dyNhwc, [1, 2, 0, 3]); // [OH, OW, N, Co]: dy is the filter
      const r = k.run(
        'Conv2D',
        { x: xt, filter: dyt },
        {
          strides: [g.dilationHeight, g.dilationWidth],
          dilations: [g.strideHeight, g.strideWidth],
          pad: 'valid',
          dataFormat: 'NHWC',
        },
      ); // [Ci, KH, KW, Co]
      return k.transpose(r, [1, 2, 0, 3]);
    });
  };
  return { kernelName: Conv2DBackpropFilter, backendName, kernelFunc };
}
