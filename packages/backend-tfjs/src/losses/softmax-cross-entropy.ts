import { logSoftmax, mean, mul, neg, sum, type Scalar, type Tensor } from '@tensorflow/tfjs-core';

/**
 * Mean softmax cross-entropy of `logits` (`[batch, classes]`) against one-hot or soft `labels`,
 * built from `logSoftmax` so that it can be differentiated twice. (`tf.losses.softmaxCrossEntropy`
 * cannot: its custom gradient saves an intermediate that is not on the tape, so a second
 * derivative through it fails with "Cannot compute gradient of y=f(x)".)
 *
 * @example
 * const loss = softmaxCrossEntropy(tf.oneHot(labels, 10), logits);
 * const hvp = tf.grad((w) => tf.sum(tf.mul(tf.grad(f)(w), v)))(w); // works
 */
export function softmaxCrossEntropy(labels: Tensor, logits: Tensor): Scalar {
  return neg(mean(sum(mul(labels, logSoftmax(logits)), -1))) as Scalar;
}
