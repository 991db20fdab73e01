import { ErrorCodes, MetacompressError, type Dataset, type EvaluationResult } from '@metacompress/core';
import type { Executor, ForwardOptions } from '../executor/build-executor';
import { crossEntropyPerSample } from './losses';

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Samples per forward pass (default 256). */
  batchSize?: number;
  /** Evaluate at most this many samples (in dataset order). */
  limit?: number;
  /** Forward options (e.g. soft `masks`); inference mode. */
  forward?: Omit<ForwardOptions, 'outputs' | 'training'>;
  /** Called after every batch. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Top-1 accuracy and mean cross-entropy of an executor's first output over a dataset, in inference
 * mode.
 *
 * @example
 * const { accuracy, loss } = await evaluate(exec, testSet, { limit: 1000 });
 */
export async function evaluate(
  executor: Executor,
  dataset: Dataset,
  options: EvaluateOptions = {},
): Promise<EvaluationResult & { loss: number }> {
  const tf = executor.tf;
  const batchSize = options.batchSize ?? 256;
  const inputName = executor.inputNames[0];
  const outputName = executor.outputNames[0];
  if (!inputName || !outputName)
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      'the graph needs an input and an output to evaluate',
    );
  const total = Math.min(dataset.length, options.limit ?? dataset.length);
  if (total === 0)
    throw new MetacompressError(ErrorCodes.EMPTY_DATASET, `dataset ${dataset.name} is empty`, {
      field: 'dataset',
    });
  let correct = 0;
  let lossSum = 0;
  let done = 0;
  for (const batch of dataset.batches(batchSize, { limit: total })) {
    const [hits, loss] = tf.tidy(() => {
      const x = tf.tensor(batch.inputs.data, [...batch.inputs.dims], 'float32');
      const logits = executor.forward({ [inputName]: x }, { ...options.forward, outputs: [outputName] })[
        outputName
      ]!;
      const flat = logits.rank === 2 ? logits : tf.reshape(logits, [logits.shape[0]!, -1]);
      const classes = flat.shape[1]!;
      for (const l of batch.labels) {
        if (l < 0 || l >= classes)
          throw new MetacompressError(
            ErrorCodes.LABEL_OUT_OF_RANGE,
            `label ${l} in ${dataset.name} is outside the model's ${classes} classes`,
            { field: 'labels' },
          );
      }
      const y = tf.tensor1d(batch.labels, 'int32');
      const hit = tf.sum(tf.cast(tf.equal(tf.argMax(flat, 1), y), 'int32')).dataSync()[0]!;
      const l = tf.sum(crossEntropyPerSample(tf, flat, y)).dataSync()[0]!;
      return [hit, l];
    });
    correct += hits;
    lossSum += loss;
    done += batch.labels.length;
    options.onProgress?.(done, total);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { accuracy: correct / done, loss: lossSum / done, samples: done };
}
