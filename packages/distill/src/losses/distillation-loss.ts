import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { crossEntropy } from './cross-entropy';
import type { Labels } from './loss-inputs';
import { softTargetLoss } from './soft-target-loss';

/**
 * Options of {@link distillationLoss}.
 *
 * @example
 * distillationLoss(s, t, labels, { temperature: 2, alpha: 0.5 });
 */
export interface DistillationLossOptions {
  /** Softmax temperature T of the soft targets (default 4). */
  temperature?: number;
  /** Weight α of the soft-target term; the hard-label term gets 1 − α (default 0.9). */
  alpha?: number;
}

/**
 * The mixed loss and its two parts (the parts are unweighted).
 *
 * @example
 * const { loss, soft, hard } = distillationLoss(s, t, labels);
 */
export interface DistillationLossParts {
  loss: tf.Scalar;
  soft: tf.Scalar;
  hard: tf.Scalar;
}

/**
 * Knowledge-distillation loss (Hinton et al. 2015): α · T² · KL(p_T^τ ‖ p_S^τ) + (1 − α) · CE(y, p_S),
 * the soft-target term at temperature T mixed with the hard-label cross-entropy. With α = 0 it is
 * plain cross-entropy fine-tuning; with α = 1 pure distillation (labels unused but still checked).
 *
 * @example
 * const { loss, soft, hard } = distillationLoss(student, teacher, labels, { temperature: 4, alpha: 0.9 });
 */
export function distillationLoss(
  studentLogits: tf.Tensor,
  teacherLogits: tf.Tensor,
  labels: Labels,
  options: DistillationLossOptions = {},
): DistillationLossParts {
  const temperature = options.temperature ?? 4;
  const alpha = options.alpha ?? 0.9;
  checkAlpha(alpha);
  const soft = softTargetLoss(studentLogits, teacherLogits, temperature);
  const hard = crossEntropy(studentLogits, labels);
  const loss = tf.tidy(() => tf.add(tf.mul(soft, alpha), tf.mul(hard, 1 - alpha)) as tf.Scalar);
  return { loss, soft, hard };
}

/**
 * Throws unless `alpha` is a number in [0, 1].
 *
 * @example
 * checkAlpha(1.2); // throws MC_INVALID_ARGUMENT (field 'alpha')
 */
export function checkAlpha(alpha: number): void {
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0 || alpha > 1) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `alpha must be a number in [0, 1], got ${String(alpha)}`,
      { field: 'alpha' },
    );
  }
}
