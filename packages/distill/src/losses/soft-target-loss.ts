import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { checkLogits, checkTemperature } from './loss-inputs';

/**
 * Soft-target distillation loss (Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a
 * Neural Network"): the KL divergence KL(p_T ‖ p_S) between the teacher's and the student's
 * softmax at temperature `T`, averaged over the batch and scaled by T² so that its gradients keep
 * the same magnitude as the hard-label loss's when `T` changes. It is 0 when the logits agree up
 * to a constant shift. Built from `tf.logSoftmax`. The teacher is a target: pass teacher logits
 * that do not depend on trainable variables (no gradient is meant to reach the teacher).
 *
 * @example
 * const loss = softTargetLoss(studentLogits, teacherLogits, 4); // scalar ≥ 0
 */
export function softTargetLoss(
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  temperature: number,
): tf.Scalar {
  checkTemperature(temperature);
  const [batch, classes] = checkLogits(studentLogits, 'studentLogits');
  const [tBatch, tClasses] = checkLogits(teacherLogits, 'teacherLogits');
  if (batch !== tBatch || classes !== tClasses) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `student logits [${batch}, ${classes}] and teacher logits [${tBatch}, ${tClasses}] differ in shape`,
      { field: 'teacherLogits' },
    );
  }
  return tf.tidy(() => {
    const logPs = tf.logSoftmax(tf.div(studentLogits, temperature));
    const logPt = tf.logSoftmax(tf.div(teacherLogits, temperature));
    const kl = tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), -1);
    return tf.mul(tf.mean(kl), temperature * temperature) as tf.Scalar;
  });
}
