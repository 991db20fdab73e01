import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from '../engine/init-tfjs';
import { randomTensor, relativeError, valuesOn } from '../test-util';

// Gradients of the ops a CNN/MLP training step uses, on wasm (with this package's kernels and
// gradient fixes) against the cpu backend's own kernels. Inputs include all-negative and all-zero
// pooling windows and exact ties, where kernels are most likely to disagree.
beforeAll(async () => {
  await initTfjs({ prefer: ['wasm'] });
});

type Loss = (x: tf.Tensor) => tf.Tensor;
const x4 = () => tf.sub(randomTensor([2, 6, 6, 3], 1), 0.3);
const w = (shape: number[]) => randomTensor(shape, 99);
const weighted = (y: tf.Tensor) => tf.sum(tf.mul(y, w(y.shape)));

const CASES: Record<string, [() => tf.Tensor, Loss]> = {
  relu: [x4, (x) => weighted(tf.relu(x))],
  relu6: [() => tf.mul(x4(), 8), (x) => weighted(tf.relu6(x))],
  leakyRelu: [x4, (x) => weighted(tf.leakyRelu(x, 0.1))],
  elu: [x4, (x) => weighted(tf.elu(x))],
  prelu: [x4, (x) => weighted(tf.prelu(x, tf.fill([3], 0.2)))],
  sigmoid: [x4, (x) => weighted(tf.sigmoid(x))],
  tanh: [x4, (x) => weighted(tf.tanh(x))],
  softmax: [() => randomTensor([4, 10], 2), (x) => weighted(tf.softmax(x))],
  logSoftmax: [() => randomTensor([4, 10], 2), (x) => weighted(tf.logSoftmax(x))],
  maxPoolValid: [x4, (x) => weighted(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'))],
  maxPoolSame: [x4, (x) => weighted(tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'))],
  maxPoolNegative: [
    () => tf.sub(tf.abs(x4()), 2),
    (x) => weighted(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid')),
  ],
  maxPoolReluZeros: [x4, (x) => weighted(tf.maxPool(tf.relu(tf.sub(x, 0.5)) as tf.Tensor4D, 2, 2, 'valid'))],
  avgPoolValid: [x4, (x) => weighted(tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'))],
  avgPoolSame: [x4, (x) => weighted(tf.avgPool(x as tf.Tensor4D, 3, 2, 'same'))],
  batchNormMoments: [
    x4,
    (x) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return weighted(tf.batchNorm(x, mean, variance, tf.fill([3], 0.1), tf.fill([3], 1.5), 1e-3));
    },
  ],
  matMul: [() => randomTensor([5, 7], 3), (x) => weighted(tf.matMul(x, w([7, 4])))],
  matMulTransposed: [() => randomTensor([7, 5], 3), (x) => weighted(tf.matMul(x, w([4, 7]), true, true))],
  broadcastAddMulDiv: [
    () => randomTensor([4, 1, 3], 4),
    (x) => weighted(tf.div(tf.mul(tf.add(x, w([5, 3])), x), tf.add(tf.abs(x), 1))),
  ],
  concatSlicePad: [
    x4,
    (x) =>
      weighted(
        tf.pad(tf.slice(tf.concat([x, tf.square(x)], 3), [0, 1, 0, 1], [2, 4, 5, 4]), [
          [0, 0],
          [1, 0],
          [0, 2],
          [0, 0],
        ]),
      ),
  ],
  reshapeTranspose: [x4, (x) => weighted(tf.transpose(tf.reshape(x, [2, 36, 3]), [2, 0, 1]))],
  reductions: [
    x4,
    (x) => tf.add(tf.add(tf.sum(tf.mean(x, [1, 2])), tf.sum(tf.max(x, [1, 2]))), tf.sum(tf.min(x, 3))),
  ],
  maxNegative: [() => tf.sub(tf.abs(x4()), 3), (x) => weighted(tf.max(x, [1, 2]))],
  maximumMinimum: [
    x4,
    (x) => weighted(tf.add(tf.maximum(x, tf.fill(x.shape, 0.1)), tf.minimum(x, tf.fill(x.shape, -0.2)))),
  ],
  clipSqrtSquare: [
    x4,
    (x) => weighted(tf.add(tf.clipByValue(x, -0.2, 0.3), tf.sqrt(tf.add(tf.square(x), 0.5)))),
  ],
  gather: [() => randomTensor([6, 4], 5), (x) => weighted(tf.gather(x, tf.tensor1d([5, 0, 5, 2], 'int32')))],
  resizeBilinear: [x4, (x) => weighted(tf.image.resizeBilinear(x as tf.Tensor4D, [9, 8]))],
  conv2dTranspose: [
    x4,
    (x) =>
      weighted(
        tf.conv2dTranspose(x as tf.Tensor4D, w([3, 3, 4, 3]) as tf.Tensor4D, [2, 12, 12, 4], 2, 'same'),
      ),
  ],
  separableConv: [
    x4,
    (x) =>
      weighted(
        tf.separableConv2d(
          x as tf.Tensor4D,
          w([3, 3, 3, 2]) as tf.Tensor4D,
          w([1, 1, 6, 4]) as tf.Tensor4D,
          1,
          'same',
        ),
      ),
  ],
};

describe('op gradients on wasm match the cpu backend', () => {
  for (const [name, [input, loss]] of Object.entries(CASES)) {
    it(name, async () => {
      const [got] = await valuesOn('wasm', () => tf.grad(loss)(input()));
      const [want] = await valuesOn('cpu', () => tf.grad(loss)(input()));
      expect(relativeError(got!, want!)).toBeLessThan(1e-4);
      expect(Array.from(want!).some((v) => v !== 0)).toBe(true);
    });
  }
});
