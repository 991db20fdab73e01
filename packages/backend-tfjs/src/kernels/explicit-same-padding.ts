import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Wraps a forward convolution kernel so that `pad: 'same'` reaches it as the equivalent explicit
 * padding. tfjs-backend-wasm 4.22 hands SAME padding to XNNPACK's TensorFlow-SAME mode, which
 * computes wrong outputs for a filter one column wide with a column stride > 1 (e.g. a 3×1 filter
 * at stride 2: every output differs); explicit padding takes XNNPACK's other path, which is right.
 * Everything else passes through unchanged.
 *
 * @example
 * registerKernel(explicitSamePaddingKernel(getKernel('Conv2D', 'wasm')!, false));
 */
export function explicitSamePaddingKernel(original: KernelConfig, depthwise: boolean): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const attrs = args.attrs as unknown as {
      pad: unknown;
      strides: number | [number, number];
      dilations?: number | [number, number];
      dataFormat?: 'NHWC' | 'NCHW';
    };
    if (attrs?.pad !== 'same' || (attrs.dataFormat ?? 'NHWC') !== 'NHWC') return original.kernelFunc(args);
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations ?? 1,
      'same',
      undefined,
      depthwise,
    );
    const p = info.padInfo;
    const pad = [
      [0, 0],
      [p.top, p.bottom],
      [p.left, p.right],
      [0, 0],
    ];
    return original.kernelFunc({ ...args, attrs: { ...args.attrs, pad } as never });
  };
  return { ...original, kernelFunc };
}
