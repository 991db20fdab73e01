import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from '../engine/init-tfjs';
import { nativeKernel } from './training-kernels';
import { randomTensor, relativeError } from '../test-util';

// On cpu the composed filter gradients replace tfjs's own (much slower) kernels: same results.
beforeAll(async () => {
  await initTfjs({ prefer: ['cpu'] });
});

function runNative(name: string, inputs: Record<string, tf.Tensor>, attrs: object): Float32Array {
  const kernel = nativeKernel(name, 'cpu');
  expect(kernel, name).toBeDefined();
  const info = kernel!.kernelFunc({ inputs, attrs: attrs as never, backend: tf.backend() }) as tf.TensorInfo;
  const t = tf.engine().makeTensorFromTensorInfo(info);
  const values = Float32Array.from(t.dataSync());
  t.dispose();
  return values;
}

function runRegistered(name: string, inputs: Record<string, tf.Tensor>, attrs: object): Float32Array {
  const t = tf.engine().runKernel(name, inputs, attrs as never) as tf.Tensor;
  const values = Float32Array.from(t.dataSync());
  t.dispose();
  return values;
}

describe('composed cpu kernels vs the cpu backend’s own', () => {
  it('replaces only the filter gradients, and they agree', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'cpu')!.kernelFunc).not.toBe(
      nativeKernel('Conv2DBackpropFilter', 'cpu')!.kernelFunc,
    );
    for (const [i, [xs, k, stride, pad]] of (
      [
        [[4, 12, 12, 3], 5, 1, 'valid'],
        [[2, 9, 8, 4], 3, 2, 'same'],
        [[2, 9, 8, 4], 3, 2, 1],
      ] as [number[], number, number, 'same' | 'valid' | number][]
    ).entries()) {
      const x = randomTensor(xs, i);
      const f = [k, k, xs[3]!, 5];
      const g = tf.backend_util.computeConv2DInfo(
        xs as [number, number, number, number],
        f as [number, number, number, number],
        stride,
        1,
        pad,
      );
      const dy = randomTensor(g.outShape, i + 10);
      const attrs = { strides: stride, pad, dataFormat: 'NHWC', filterShape: f };
      expect(
        relativeError(
          runRegistered('Conv2DBackpropFilter', { x, dy }, attrs),
          runNative('Conv2DBackpropFilter', { x, dy }, attrs),
        ),
      ).toBeLessThan(1e-4);

      const df = [k, k, xs[3]!, 2];
      const dg = tf.backend_util.computeConv2DInfo(
        xs as [number, number, number, number],
        df as [number, number, number, number],
        stride,
        1,
        pad,
        undefined,
        true,
      );
      const ddy = randomTensor(dg.outShape, i + 20);
      const dattrs = { strides: stride, pad, dilations: 1, filterShape: df };
      expect(
        relativeError(
          runRegistered('DepthwiseConv2dNativeBackpropFilter', { x, dy: ddy }, dattrs),
          runNative('DepthwiseConv2dNativeBackpropFilter', { x, dy: ddy }, dattrs),
        ),
      ).toBeLessThan(1e-4);
      tf.dispose([x, dy, ddy]);
    }
  });
});
