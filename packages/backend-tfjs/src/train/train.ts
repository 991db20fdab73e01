import type * as tfc from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError, type Dataset, type LabeledBatch } from '@metacompress/core';
import type { Executor, ForwardOptions } from '../executor/build-executor';
import type { ChannelMasks } from '../executor/masks';
import type { BatchNormUpdate } from '../executor/op-context';
import { crossEntropy } from './losses';
import { createOptimizer, type OptimizerName, type OptimizerSpec } from './optimizers';
import { learningRateAt, type LearningRateSchedule } from './schedules';

/** What a custom loss sees besides logits and labels. */
export interface LossContext {
  /** The batch input, as fed to the executor (logical NCHW). */
  inputs: tfc.Tensor;
  batch: LabeledBatch;
  /** 0-based step. */
  step: number;
}

/** A training loss: a scalar from the model's first output and int32 labels `[N]`. */
export type LossFunction = (logits: tfc.Tensor, labels: tfc.Tensor1D, context: LossContext) => tfc.Scalar;

/** What {@link train} reports after each step. */
export interface TrainStep {
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
  /** Samples seen so far. */
  samples: number;
}

/** Options of {@link train}. */
export interface TrainOptions {
  /** Passes over the dataset (default 1 unless `steps` is given). */
  epochs?: number;
  /** Stop after this many steps (across epochs). */
  steps?: number;
  /** Samples per step (default 64). */
  batchSize?: number;
  /** Optimizer (default `adam`). */
  optimizer?: OptimizerName | OptimizerSpec;
  /** Base learning rate (default 1e-3). */
  learningRate?: number;
  schedule?: LearningRateSchedule;
  /** Seed of the per-epoch shuffles (default 0): the same seed gives the same batches. */
  seed?: number;
  /** Loss of the first output (default: mean cross-entropy). Distillation passes its own. */
  loss?: LossFunction;
  /** Forward options for every step (e.g. soft `masks`); `training` defaults to true. */
  forward?: Omit<ForwardOptions, 'outputs' | 'params'>;
  /**
   * Channel masks per step (e.g. from a schedule, or tensors a policy computes): called inside the
   * gradient scope; overrides `forward.masks`. Tensors it creates are freed after the step.
   */
  masks?: (step: number) => ChannelMasks | undefined;
  /** Drop a final partial batch (default true). */
  dropLast?: boolean;
  /** Called after every step. */
  onStep?: (info: TrainStep) => void;
  signal?: AbortSignal;
}

/** What {@link train} did. */
export interface TrainResult {
  steps: number;
  epochs: number;
  samples: number;
  /** Mean loss over the last epoch's steps (or all steps when fewer). */
  finalLoss: number;
  /** Loss of every step. */
  losses: number[];
  seconds: number;
  samplesPerSecond: number;
}

/** Per-epoch shuffle seed derived from the run seed. */
function epochSeed(seed: number, epoch: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(epoch + 1, 0x85ebca6b)) >>> 0;
}

/** Checks labels against the number of classes of the logits. */
function checkLabels(labels: Int32Array, classes: number, dataset: string): void {
  for (const l of labels) {
    if (l < 0 || l >= classes) {
      throw new MetacompressError(
        ErrorCodes.LABEL_OUT_OF_RANGE,
        `label ${l} in ${dataset} is outside the model's ${classes} classes`,
        { field: 'labels' },
      );
    }
  }
}

/**
 * Trains an executor's trainable variables on a labelled dataset with mini-batch gradient descent:
 * batches shuffled per epoch from `seed` (deterministic), loss on the first output (mean
 * cross-entropy unless `loss` is given), `sgd`/`momentum`/`adam` with an optional learning-rate
 * schedule. BatchNormalization running statistics are updated when the executor was built with
 * `batchNorm: 'batch'`. No tensor outlives a step.
 *
 * @example
 * const exec = buildExecutor(graph, { tf });
 * const result = await train(exec, trainSet, { epochs: 1, batchSize: 64, optimizer: 'adam', learningRate: 1e-3, seed: 1 });
 * const tuned = exec.toGraph();
 */
export async function train(
  executor: Executor,
  dataset: Dataset,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const tf = executor.tf;
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `batchSize must be a positive integer, got ${batchSize}`,
      { field: 'batchSize' },
    );
  if (dataset.length === 0)
    throw new MetacompressError(ErrorCodes.EMPTY_DATASET, `dataset ${dataset.name} is empty`, {
      field: 'dataset',
    });
  if (executor.trainableVariables.length === 0)
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'the executor has no trainable weights', {
      field: 'trainable',
    });
  const dropLast = options.dropLast ?? true;
  const perEpoch =
    dropLast && dataset.length >= batchSize
      ? Math.floor(dataset.length / batchSize)
      : Math.ceil(dataset.length / batchSize);
  const epochs = options.epochs ?? (options.steps !== undefined ? Math.ceil(options.steps / perEpoch) : 1);
  const total = Math.min(options.steps ?? Infinity, epochs * perEpoch);
  const baseLr = options.learningRate ?? 1e-3;
  const seed = options.seed ?? 0;
  const optimizer = createOptimizer(tf, options.optimizer ?? 'adam');
  const inputName = executor.inputNames[0];
  const outputName = executor.outputNames[0];
  if (!inputName || !outputName)
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      'the graph needs an input and an output to train',
    );
  const variables = executor.trainableVariables;
  const losses: number[] = [];
  let step = 0;
  let samples = 0;
  let epoch = 0;
  let epochLosses: number[] = [];
  const started = performance.now();
  try {
    for (; epoch < epochs && step < total; epoch++) {
      epochLosses = [];
      const batches = dataset.batches(batchSize, {
        shuffleSeed: epochSeed(seed, epoch),
        dropLast: dropLast && dataset.length >= batchSize,
      });
      for (const batch of batches) {
        if (step >= total) break;
        if (options.signal?.aborted)
          throw new MetacompressError(ErrorCodes.ABORTED, 'training was cancelled', {});
        const lr = learningRateAt(options.schedule, baseLr, step, total);
        let updates: BatchNormUpdate[] = [];
        const lossValue = tf.tidy(() => {
          const x = tf.tensor(batch.inputs.data, [...batch.inputs.dims], 'float32');
          const y = tf.tensor1d(batch.labels, 'int32');
          const { value, grads } = tf.variableGrads(() => {
            const r = executor.run(
              { [inputName]: x },
              {
                training: true,
                ...options.forward,
                ...(options.masks ? { masks: options.masks(step) } : {}),
                outputs: [outputName],
              },
            );
            updates = r.batchNormUpdates;
            for (const u of updates) {
              tf.keep(u.batchMean);
              tf.keep(u.batchVar);
            }
            const logits = r.outputs[outputName]!;
            if (step === 0) checkLabels(batch.labels, logits.shape[logits.rank - 1]!, dataset.name);
            return options.loss
              ? options.loss(logits, y, { inputs: x, batch, step })
              : crossEntropy(tf, logits, y);
          }, variables as tfc.Variable[]);
          optimizer.apply(
            variables,
            variables.map((v) => grads[v.name]),
            lr,
          );
          return value.dataSync()[0]!;
        });
        executor.applyBatchNormUpdates(updates);
        if (!Number.isFinite(lossValue)) {
          throw new MetacompressError(
            ErrorCodes.NAN_WEIGHTS,
            `the loss became ${lossValue} at step ${step} (learning rate ${lr})`,
            { field: 'learningRate' },
          );
        }
        losses.push(lossValue);
        epochLosses.push(lossValue);
        samples += batch.labels.length;
        options.onStep?.({ step, epoch, loss: lossValue, learningRate: lr, samples });
        step += 1;
        if (step % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    optimizer.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  const last = epochLosses.length ? epochLosses : losses;
  return {
    steps: step,
    epochs: epoch,
    samples,
    finalLoss: last.reduce((a, b) => a + b, 0) / Math.max(1, last.length),
    losses,
    seconds,
    samplesPerSecond: samples / Math.max(seconds, 1e-9),
  };
}
