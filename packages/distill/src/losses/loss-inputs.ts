import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError } from '@metacompress/core';

/**
 * Hard class labels: one class index per sample.
 *
 * @example
 * crossEntropy(logits, Int32Array.of(3, 1)); // or [3, 1], or an int32 tensor
 */
export type Labels = Int32Array | readonly number[] | tf.Tensor;

/**
 * Checks that `logits` is `[batch, classes]` and returns those two numbers.
 *
 * @example
 * const [batch, classes] = checkLogits(logits, 'studentLogits');
 */
export function checkLogits(logits: tf.Tensor, field: string): [number, number] {
  if (logits.rank !== 2) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `${field} must be [batch, classes], got shape [${logits.shape.join(', ')}]`,
      {
        field,
      },
    );
  }
  return [logits.shape[0]!, logits.shape[1]!];
}

/**
 * Label tensor of shape `[batch]` (int32); throws when the count or a class index is wrong.
 *
 * @example
 * const y = toLabelTensor([3, 1], 2, 10); // int32 [2]
 */
export function toLabelTensor(labels: Labels, batch: number, classes: number): tf.Tensor1D {
  if (labels instanceof tf.Tensor) {
    if (labels.rank !== 1 || labels.shape[0] !== batch) {
      throw new MetacompressError(
        ErrorCodes.SHAPE_MISMATCH,
        `labels must have shape [${batch}], got [${labels.shape.join(', ')}]`,
        {
          field: 'labels',
        },
      );
    }
    return (labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32')) as tf.Tensor1D;
  }
  if (labels.length !== batch) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `${labels.length} labels for a batch of ${batch}`,
      { field: 'labels' },
    );
  }
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      throw new MetacompressError(
        ErrorCodes.LABEL_OUT_OF_RANGE,
        `label ${c} at index ${i} is not a class index in [0, ${classes})`,
        {
          field: 'labels',
        },
      );
    }
  }
  return tf.tensor1d(Int32Array.from(labels), 'int32');
}

/**
 * Throws unless `temperature` is a finite number > 0.
 *
 * @example
 * checkTemperature(0); // throws MC_INVALID_ARGUMENT (field 'temperature')
 */
export function checkTemperature(temperature: number): void {
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature <= 0) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `temperature must be a finite number > 0, got ${String(temperature)}`,
      {
        field: 'temperature',
      },
    );
  }
}
