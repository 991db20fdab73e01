import { ErrorCodes, MetacompressError, type Dataset, type InferenceBackend } from '@metacompress/core';
import type { Graph } from '@metacompress/ir';
import { createObserver, type Observer, type ObserverOptions } from './observer';

/** Options of {@link calibrate}. */
export interface CalibrateOptions extends Omit<ObserverOptions, 'axis'> {
  /** Samples per run (default 64). */
  batchSize?: number;
  /** Calibrate on at most this many samples, in dataset order (default 512). */
  limit?: number;
  /** Cancels between batches. */
  signal?: AbortSignal;
  /** Called after each batch with samples done and samples to do. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The one graph input a calibration feeds (inputs that are also initializers do not count).
 *
 * @example
 * calibrationInput(graph); // 'input'
 */
export function calibrationInput(graph: Graph): string {
  const inits = new Set(graph.initializers.map((t) => t.name));
  const inputs = graph.inputs.filter((i) => !inits.has(i.name));
  if (inputs.length !== 1) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `calibration needs a model with one input; this one has ${inputs.length} (${inputs.map((i) => i.name).join(', ') || 'none'})`,
      { field: 'inputs' },
    );
  }
  return inputs[0].name;
}

/**
 * Runs the float graph over calibration data on an inference backend and feeds the values of the
 * named tensors (graph inputs, intermediate activations, outputs) to one observer each.
 * Throws `MC_EMPTY_DATASET` when the data holds no samples.
 *
 * @example
 * const observers = await calibrate(graph, ort, calibrationSet, ['input', 'relu1_out'], { method: 'entropy' });
 * observers.get('relu1_out')!.params({ dataType: 'uint8' });
 */
export async function calibrate(
  graph: Graph,
  backend: InferenceBackend<Graph>,
  data: Dataset | undefined,
  tensors: readonly string[],
  options: CalibrateOptions = {},
): Promise<Map<string, Observer>> {
  if (!data || typeof data.batches !== 'function') {
    throw new MetacompressError(
      ErrorCodes.EMPTY_DATASET,
      'static quantization needs calibration data (ctx.data.calibration)',
      { field: 'data.calibration' },
    );
  }
  const limit = Math.min(options.limit ?? 512, data.length);
  if (!(data.length > 0) || limit <= 0) {
    throw new MetacompressError(ErrorCodes.EMPTY_DATASET, `calibration set '${data.name}' has no samples`, {
      field: 'data.calibration',
    });
  }
  const batchSize = options.batchSize ?? 64;
  const input = calibrationInput(graph);
  const observers = new Map<string, Observer>();
  for (const t of tensors)
    observers.set(
      t,
      createObserver({ method: options.method, percentile: options.percentile, bins: options.bins }),
    );
  const fetch = tensors.filter((t) => t !== input);
  let done = 0;
  for (const batch of data.batches(batchSize, { limit })) {
    if (options.signal?.aborted)
      throw new MetacompressError(ErrorCodes.ABORTED, 'calibration was cancelled', {});
    if (batch.labels.length === 0) continue;
    const outputs = fetch.length
      ? await backend.run(graph, { [input]: batch.inputs }, { outputs: fetch })
      : {};
    for (const t of tensors) {
      const value = t === input ? batch.inputs : outputs[t];
      if (!value)
        throw new MetacompressError(
          ErrorCodes.BACKEND_FAILED,
          `backend '${backend.name}' returned no value for '${t}'`,
          { backend: backend.name, field: t },
        );
      observers.get(t)!.observe(value.data as ArrayLike<number>, value.dims);
    }
    done += batch.labels.length;
    options.onProgress?.(done, limit);
    if (done >= limit) break;
  }
  if (done === 0)
    throw new MetacompressError(ErrorCodes.EMPTY_DATASET, `calibration set '${data.name}' gave no samples`, {
      field: 'data.calibration',
    });
  return observers;
}
