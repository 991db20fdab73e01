import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '@metacompress/core';
import type { TrainableModel } from './trainable-model';

/**
 * Top-1 accuracy and mean cross-entropy of a {@link TrainableModel} (inference mode) over a dataset.
 *
 * @example
 * const { accuracy, loss } = evaluateModel(model, validation, { batchSize: 256 });
 */
export function evaluateModel(
  model: TrainableModel,
  data: Dataset,
  options: { batchSize?: number; limit?: number } = {},
): { accuracy: number; loss: number; samples: number } {
  let correct = 0;
  let lossSum = 0;
  let samples = 0;
  const batchOptions = options.limit !== undefined ? { limit: options.limit } : {};
  for (const batch of data.batches(options.batchSize ?? 256, batchOptions)) {
    const n = batch.labels.length;
    const [c, l] = tf.tidy(() => {
      const x = tf.tensor(batch.inputs.data, [...batch.inputs.dims]);
      const y = tf.tensor1d(batch.labels, 'int32');
      const logits = model.forward(x, { training: false }).logits;
      const hits = tf.sum(tf.cast(tf.equal(tf.cast(tf.argMax(logits, 1), 'int32'), y), 'float32'));
      const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(y, logits.shape[1]!), tf.logSoftmax(logits))));
      return [hits.dataSync()[0]!, nll.dataSync()[0]!];
    });
    correct += c;
    lossSum += l;
    samples += n;
  }
  return { accuracy: samples ? correct / samples : 0, loss: samples ? lossSum / samples : 0, samples };
}
