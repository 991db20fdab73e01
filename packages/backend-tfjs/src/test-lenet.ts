// LeNet-5 written with tfjs-core ops, for this package's training test and kernel benchmark
// (not published: `files` excludes src/**/test-*.ts).
import * as tf from '@tensorflow/tfjs-core';
import { seeded } from './test-util';

/** LeNet-5 (LeCun et al. 1998) on 28×28×1 inputs: conv5-6, pool, conv5-16, pool, 120, 84, 10. */
export interface LeNet {
  params: tf.Variable[];
  logits(x: tf.Tensor4D): tf.Tensor2D;
  /** Mean cross-entropy from `logSoftmax` (second-order safe). */
  loss(x: tf.Tensor4D, labels: tf.Tensor2D): tf.Scalar;
  /** One SGD step; returns the loss before the step. */
  step(x: tf.Tensor4D, labels: tf.Tensor2D, lr: number): number;
}

export function createLeNet(seed = 1): LeNet {
  let s = seed;
  const init = (shape: number[], fanIn: number) =>
    tf.variable(
      tf.mul(
        tf.tensor(
          seeded(
            shape.reduce((a, b) => a * b),
            s++,
          ),
          shape,
        ),
        Math.sqrt(3 / fanIn),
      ),
    );
  const c1 = init([5, 5, 1, 6], 25);
  const b1 = tf.variable(tf.zeros([6]));
  const c2 = init([5, 5, 6, 16], 150);
  const b2 = tf.variable(tf.zeros([16]));
  const w3 = init([256, 120], 256);
  const b3 = tf.variable(tf.zeros([120]));
  const w4 = init([120, 84], 120);
  const b4 = tf.variable(tf.zeros([84]));
  const w5 = init([84, 10], 84);
  const b5 = tf.variable(tf.zeros([10]));
  const params = [c1, b1, c2, b2, w3, b3, w4, b4, w5, b5];
  const logits = (x: tf.Tensor4D) => {
    let h: tf.Tensor4D = tf.maxPool(
      tf.relu(tf.add(tf.conv2d(x, c1 as tf.Tensor4D, 1, 'valid'), b1)) as tf.Tensor4D,
      2,
      2,
      'valid',
    );
    h = tf.maxPool(
      tf.relu(tf.add(tf.conv2d(h, c2 as tf.Tensor4D, 1, 'valid'), b2)) as tf.Tensor4D,
      2,
      2,
      'valid',
    );
    let f: tf.Tensor2D = tf.reshape(h, [x.shape[0], 256]);
    f = tf.relu(tf.add(tf.matMul(f, w3 as tf.Tensor2D), b3)) as tf.Tensor2D;
    f = tf.relu(tf.add(tf.matMul(f, w4 as tf.Tensor2D), b4)) as tf.Tensor2D;
    return tf.add(tf.matMul(f, w5 as tf.Tensor2D), b5) as tf.Tensor2D;
  };
  const loss = (x: tf.Tensor4D, labels: tf.Tensor2D) =>
    tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits(x))), 1))) as tf.Scalar;
  return {
    params,
    logits,
    loss,
    step(x, labels, lr) {
      return tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => loss(x, labels), params);
        for (const p of params) p.assign(tf.sub(p, tf.mul(grads[p.name]!, lr)));
        return value.dataSync()[0]!;
      });
    },
  };
}

/**
 * A learnable stand-in for MNIST: ten fixed random 28×28 prototypes (smoothed), each sample one
 * of them plus noise. Returns images, one-hot labels and the class indices.
 */
export function syntheticDigits(
  n: number,
  seed: number,
): { x: tf.Tensor4D; y: tf.Tensor2D; classes: number[] } {
  return tf.tidy(() => {
    const protos = tf.avgPool(tf.tensor4d(seeded(10 * 28 * 28, 7), [10, 28, 28, 1]), 3, 1, 'same');
    const classes = Array.from(seeded(n, seed), (v) => Math.min(9, Math.floor((v + 1) * 5)));
    const picked = tf.gather(protos, tf.tensor1d(classes, 'int32'));
    const noise = tf.mul(tf.tensor4d(seeded(n * 28 * 28, seed + 1), [n, 28, 28, 1]), 0.3);
    return {
      x: tf.add(tf.mul(picked, 3), noise) as tf.Tensor4D,
      y: tf.cast(tf.oneHot(tf.tensor1d(classes, 'int32'), 10), 'float32') as tf.Tensor2D,
      classes,
    };
  });
}
