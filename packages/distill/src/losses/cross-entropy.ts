import * as tf from '@tensorflow/tfjs-core';
import { checkLogits, toLabelTensor, type Labels } from './loss-inputs';

/**
 * Mean softmax cross-entropy of `logits` (`[batch, classes]`) against hard class labels, built from
 * `tf.logSoftmax` (so it can be differentiated twice, unlike `tf.losses.softmaxCrossEntropy`).
 * Labels are class indices (an `Int32Array`, a number array or an int32 tensor of shape `[batch]`).
 *
 * @example
 * const loss = crossEntropy(tf.tensor2d([[2, 0, -1]]), [0]); // ≈ 0.1698
 */
export function crossEntropy(logits: tf.Tensor, labels: Labels): tf.Scalar {
  const [batch, classes] = checkLogits(logits, 'logits');
  return tf.tidy(() => {
    const y = toLabelTensor(labels, batch, classes);
    const oneHot = tf.cast(tf.oneHot(y, classes), 'float32');
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1))) as tf.Scalar;
  });
}
