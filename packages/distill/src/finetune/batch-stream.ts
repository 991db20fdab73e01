import type { Dataset, LabeledBatch } from '@metacompress/core';
import { createRng } from '@metacompress/core';

/**
 * Where a step's batch comes from: the epoch and the batch's index in that epoch's shuffled order.
 *
 * @example
 * positionOf(1000, 937); // { epoch: 1, batch: 63 }
 */
export interface DataPosition {
  epoch: number;
  batch: number;
}

/**
 * The seed that shuffles epoch `epoch` of a run seeded with `seed`: a pure function, so any step's
 * batch can be found again after a restart without saving generator state.
 *
 * @example
 * shuffleSeedOf(0, 3); // the same number in every process
 */
export function shuffleSeedOf(seed: number, epoch: number): number {
  return createRng(seed).fork('shuffle').fork(epoch).seed;
}

/**
 * The data position of 0-based step `step` with `stepsPerEpoch` batches per epoch.
 *
 * @example
 * positionOf(1000, 937); // { epoch: 1, batch: 63 }
 */
export function positionOf(step: number, stepsPerEpoch: number): DataPosition {
  return { epoch: Math.floor(step / stepsPerEpoch), batch: step % stepsPerEpoch };
}

/**
 * Batches for steps `from`, `from + 1`, … : every epoch is a fresh seeded shuffle of the dataset
 * cut into full batches (the last partial batch is dropped), so step `s` always sees the same
 * samples, whether the run started at step 0 or resumed at `from`.
 *
 * @example
 * for (const { batch, position } of batchStream(train, 64, 0, 100, 937)) { … }
 */
export function* batchStream(
  dataset: Dataset,
  batchSize: number,
  seed: number,
  from: number,
  stepsPerEpoch: number,
): Generator<{ batch: LabeledBatch; position: DataPosition }> {
  let { epoch, batch: skip } = positionOf(from, stepsPerEpoch);
  for (;;) {
    let index = 0;
    for (const batch of dataset.batches(batchSize, {
      shuffleSeed: shuffleSeedOf(seed, epoch),
      dropLast: true,
    })) {
      if (index >= stepsPerEpoch) break;
      if (index >= skip) yield { batch, position: { epoch, batch: index } };
      index++;
    }
    skip = 0;
    epoch++;
  }
}
