import {
  MaxPoolWithArgmax,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { compose } from './kernel-composer';

/**
 * Name of a kernel this package adds to every backend it initializes: for each output of max
 * pooling `input`, the value of `values` (same shape as `input`) at the position of the maximum.
 * It is the adjoint of `MaxPoolGrad` with respect to `dy` (what second derivatives through max
 * pooling need) and picks positions exactly as the backend's `MaxPoolGrad` does, ties included.
 *
 * @example
 * const picked = tf.engine().runKernel(MaxPoolSelect, { values, input: x }, { filterSize: 2, strides: 2, pad: 'valid' });
 */
export const MaxPoolSelect = 'MetacompressMaxPoolSelect';

/**
 * The {@link MaxPoolSelect} kernel, composed from `MaxPoolWithArgmax` and `GatherV2`.
 *
 * @example
 * registerKernel(maxPoolSelectKernel('wasm'));
 */
export function maxPoolSelectKernel(backendName: string): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { values, input } = inputs as { values: TensorInfo; input: TensorInfo };
    const { filterSize, strides, pad } = attrs as unknown as {
      filterSize: number | [number, number];
      strides: number | [number, number];
      pad: unknown;
    };
    return compose(backend, backendName, (k) => {
      const found = k.run(
        MaxPoolWithArgmax,
        { x: input },
        { filterSize, strides, pad: pad as string, includeBatchInIndex: true },
      );
      // `run` returns the first output; the argmax indexes are the second one, made alongside it.
      const indexes = k.lastOutputs()[1]!;
      const flatValues = k.reshape(values, [-1]);
      const flatIndexes = k.reshape(indexes, [-1]);
      const picked = k.run('GatherV2', { x: flatValues, indices: flatIndexes }, { axis: 0, batchDims: 0 });
      return k.reshape(picked, found.shape);
    });
  };
  return { kernelName: MaxPoolSelect, backendName, kernelFunc };
}
