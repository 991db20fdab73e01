import type * as tfc from '@tensorflow/tfjs-core';
import type { Tf } from '../executor/layout';
import { softmaxCrossEntropy } from '../losses/softmax-cross-entropy';

/**
 * Mean cross-entropy of logits `[N, K]` against integer labels `[N]`, built from `tf.logSoftmax`
 * (whose second derivative tfjs gets right, unlike `tf.losses.softmaxCrossEntropy`).
 *
 * @example
 * const loss = crossEntropy(tf, logits, tf.tensor1d([3, 1], 'int32')); // scalar
 */
export function crossEntropy(tf: Tf, logits: tfc.Tensor, labels: tfc.Tensor): tfc.Scalar {
  return tf.tidy(() => {
    const flat = logits.rank === 2 ? logits : tf.reshape(logits, [logits.shape[0]!, -1]);
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), flat.shape[1]!);
    return softmaxCrossEntropy(oneHot, flat);
  });
}

/**
 * Per-sample cross-entropy `[N]` (for sums over a dataset).
 *
 * @example
 * crossEntropyPerSample(tf, logits, labels).sum();
 */
export function crossEntropyPerSample(tf: Tf, logits: tfc.Tensor, labels: tfc.Tensor): tfc.Tensor1D {
  return tf.tidy(() => {
    const flat = logits.rank === 2 ? logits : tf.reshape(logits, [logits.shape[0]!, -1]);
    const oneHot = tf.oneHot(tf.cast(labels, 'int32'), flat.shape[1]!);
    return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(flat)), 1)) as tfc.Tensor1D;
  });
}
