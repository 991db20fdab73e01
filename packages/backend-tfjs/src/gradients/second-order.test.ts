import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initTfjs } from '../engine/init-tfjs';
import { installTapeOrderFix, isTapeOrderFixInstalled, uninstallTapeOrderFix } from './tape-order-fix';
import { softmaxCrossEntropy } from '../losses/softmax-cross-entropy';
import { randomTensor, relativeError } from '../test-util';

// Second derivatives (what second-order MAML needs) against analytic values computed in float64
// and against finite differences of first derivatives, on wasm and on cpu.
const BACKENDS = ['wasm', 'cpu'] as const;

beforeAll(async () => {
  await initTfjs({ prefer: ['cpu'] });
  await initTfjs({ prefer: ['wasm'] });
});
afterEach(() => {
  installTapeOrderFix();
});

const second = (f: (x: tf.Tensor) => tf.Tensor, x: number) =>
  tf.tidy(() => tf.grad(tf.grad(f))(tf.scalar(x)).dataSync()[0]!);
const sigma = (x: number) => 1 / (1 + Math.exp(-x));

describe.each(BACKENDS)('second derivatives on %s', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });

  it('through ops that save their outputs (exp·exp, sigmoid, tanh), and the stock engine gets them wrong', () => {
    expect(isTapeOrderFixInstalled()).toBe(true);
    const expexp = (x: tf.Tensor) => tf.mul(tf.exp(x), tf.exp(x));
    expect(second(expexp, 0.5)).toBeCloseTo(4 * Math.exp(1), 4); // 10.873
    for (const x of [-1.3, 0.2, 2]) {
      const s = sigma(x);
      expect(second(tf.sigmoid, x)).toBeCloseTo(s * (1 - s) * (1 - 2 * s), 5);
      const t = Math.tanh(x);
      expect(second(tf.tanh, x)).toBeCloseTo(-2 * t * (1 - t * t), 5);
      expect(second((v) => tf.sqrt(tf.add(tf.square(v), 1)), x)).toBeCloseTo(Math.pow(x * x + 1, -1.5), 5);
      // elu'' = eˣ below 0, 0 above (EluGrad needs a gradient of its own).
      expect(second((v) => tf.elu(v), x)).toBeCloseTo(x < 0 ? Math.exp(x) : 0, 5);
    }
    uninstallTapeOrderFix();
    // tfjs-core 4.22 as shipped: half the true value, silently.
    expect(second(expexp, 0.5)).toBeCloseTo(2 * Math.exp(1), 3);
  });

  it('softmax cross-entropy: Hessian-vector product equals (diag p − p pᵀ) v / batch', () => {
    const z = tf.tensor2d([
      [0.2, -1, 0.5, 1.5],
      [1, 0, -0.3, 0.1],
    ]);
    const labels = tf.tensor2d([
      [0, 0, 1, 0],
      [1, 0, 0, 0],
    ]);
    const v = tf.tensor2d([
      [1, -2, 0.5, 0.3],
      [0.2, 0.1, -1, 2],
    ]);
    const zv = z.arraySync();
    const vv = v.arraySync();
    const want = zv.flatMap((row, i) => {
      const e = row.map((a) => Math.exp(a));
      const s = e.reduce((a, b) => a + b);
      const p = e.map((a) => a / s);
      const pv = p.reduce((acc, pj, j) => acc + pj * vv[i]![j]!, 0);
      return p.map((pj, j) => (pj * vv[i]![j]! - pj * pv) / zv.length);
    });
    const hvp = (loss: (t: tf.Tensor) => tf.Tensor) =>
      tf.tidy(() =>
        tf
          .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.grad(loss)(t), v)))(z)
          .dataSync(),
      );
    expect(
      relativeError(
        hvp((t) => softmaxCrossEntropy(labels, t)),
        want,
      ),
    ).toBeLessThan(1e-5);
    expect(
      relativeError(
        hvp((t) => tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.log(tf.softmax(t))), 1)))),
        want,
      ),
    ).toBeLessThan(1e-5);
    // tf.losses.softmaxCrossEntropy's custom gradient saves an intermediate that is not on the tape.
    expect(() => hvp((t) => tf.losses.softmaxCrossEntropy(labels, t))).toThrow(/Cannot compute gradient/);
    tf.dispose([z, labels, v]);
  });

  it('a small conv net: Hessian-vector product matches finite differences of the gradient', () => {
    // conv → tanh → max-pool → dilated depthwise (multiplier 2) → relu6 → strided conv → sigmoid
    // → SAME average pool → bilinear upsampling → dense → logSoftmax cross-entropy.
    const shapes = [
      [3, 3, 2, 4],
      [3, 3, 4, 2],
      [2, 2, 8, 3],
      [27, 5],
    ];
    const x = randomTensor([3, 9, 9, 2], 1) as tf.Tensor4D;
    const labels = tf.oneHot(tf.tensor1d([0, 3, 4], 'int32'), 5);
    const loss = (p: tf.Tensor[]) => {
      const [c1, d2, c3, w] = p as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor2D];
      let h: tf.Tensor4D = tf.tanh(tf.conv2d(x, c1, 1, 'same'));
      h = tf.maxPool(h, 2, 2, 'valid'); // 4×4×4
      h = tf.relu6(tf.mul(tf.depthwiseConv2d(h, d2, 1, 'same', 'NHWC', 2), 3)) as tf.Tensor4D; // 4×4×8
      h = tf.sigmoid(tf.conv2d(h, c3, 2, 'valid')); // 2×2×3
      h = tf.image.resizeBilinear(tf.avgPool(h, 2, 1, 'same'), [3, 3]); // 3×3×3
      return softmaxCrossEntropy(labels, tf.matMul(tf.reshape(h, [3, 27]), w));
    };
    const params = shapes.map((s, i) => tf.mul(randomTensor(s, 10 + i), 0.8));
    const dirs = shapes.map((s, i) => randomTensor(s, 20 + i));
    const grads = (p: tf.Tensor[]) => tf.grads((...q: tf.Tensor[]) => loss(q))(p);
    const values = (ts: tf.Tensor[]) => ts.flatMap((t) => Array.from(t.dataSync()));
    const hvp = tf.tidy(() =>
      values(
        tf.grads((...q: tf.Tensor[]) => tf.addN(grads(q).map((g, i) => tf.sum(tf.mul(g, dirs[i]!)))))(params),
      ),
    );
    // Central differences with a step small enough not to cross a ReLU/max-pool kink here.
    const eps = 1e-4;
    const at = (sign: number) =>
      tf.tidy(() => values(grads(params.map((p, i) => tf.add(p, tf.mul(dirs[i]!, sign * eps))))));
    const plus = at(1);
    const minus = at(-1);
    const fd = plus.map((a, j) => (a - minus[j]!) / (2 * eps));
    expect(relativeError(hvp, fd)).toBeLessThan(1e-2);
    expect(Math.max(...hvp.map(Math.abs))).toBeGreaterThan(1e-2);
    tf.dispose([x, labels, ...params, ...dirs]);
  });
});
