/** Typed arrays a dense tensor may hold. */
export type TensorValues =
  | Float32Array
  | Float64Array
  | Int32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | BigInt64Array
  | Uint32Array;

/**
 * A dense tensor in row-major order: the common currency between datasets, backends and operators.
 *
 * @example
 * const x: DenseTensor = { dims: [2, 3], data: new Float32Array(6) };
 */
export interface DenseTensor<T extends TensorValues = TensorValues> {
  dims: readonly number[];
  data: T;
}

/**
 * A batch of labelled samples: `inputs.dims[0]` is the batch size and `labels` has one class index per sample.
 *
 * @example
 * const batch: LabeledBatch = { inputs: { dims: [1, 1, 28, 28], data: new Float32Array(784) }, labels: new Int32Array([7]) };
 */
export interface LabeledBatch {
  inputs: DenseTensor<Float32Array>;
  labels: Int32Array;
}

/** How to iterate a dataset. */
export interface BatchOptions {
  /** Shuffle with this seed (no shuffling when undefined). */
  shuffleSeed?: number;
  /** Stop after this many samples. */
  limit?: number;
  /** Drop a final batch smaller than `batchSize`. */
  dropLast?: boolean;
}

/**
 * A labelled dataset, already laid out to fit a model's input (e.g. `[1, 28, 28]` per sample).
 * Implemented by `@metacompress/tasks`; operators only see this interface.
 *
 * @example
 * for (const batch of dataset.batches(64, { shuffleSeed: 1 })) train(batch);
 */
export interface Dataset {
  /** Human-readable name, shown in reports (e.g. `mnist/test`). */
  readonly name: string;
  /** Number of samples. */
  readonly length: number;
  /** Shape of one sample, without the batch dimension. */
  readonly sampleShape: readonly number[];
  /** Number of classes (labels are in [0, numClasses)). */
  readonly numClasses: number;
  /** Batches in order (or shuffled with a seed). */
  batches(batchSize: number, options?: BatchOptions): Iterable<LabeledBatch>;
}

/**
 * Total element count of a shape.
 *
 * @example
 * sizeOf([2, 3, 4]); // 24
 */
export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
