import type { Dataset } from '@metacompress/core';
import type { OrtBackend } from '@metacompress/backend-ort';
import { costOf, foldConstants, type Graph } from '@metacompress/ir';
import type { LatencySummary, ModelMetrics } from '../report';

/** How thoroughly `measureModel` measures. */
export interface MeasureOptions {
  /** Evaluate on at most this many test samples (default: all). */
  limit?: number;
  /** Timed runs per latency figure (0 skips latency). */
  latencyRuns: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Cost (IR cost model), file size, accuracy and latency of a model, measured in the inference
 * runtime on the serialized bytes that will be (or were) written.
 *
 * @example
 * const before = await measureModel(graph, bytes, ort, test, { latencyRuns: 20 });
 */
export async function measureModel(graph: Graph, bytes: Uint8Array, runtime: OrtBackend, test: Dataset, options: MeasureOptions): Promise<ModelMetrics> {
  const cost = costOf(foldConstants(graph), { batchSize: 1 });
  const evaluation = await runtime.evaluate(bytes, test, {
    ...(options.limit ? { limit: options.limit } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const latencyMs: ModelMetrics['latencyMs'] = {};
  if (options.latencyRuns > 0) {
    for (const batch of [1, 64] as const) {
      const stats = await runtime.latency(bytes, { batchSize: batch, runs: options.latencyRuns, warmup: 3 });
      const summary: LatencySummary = { medianMs: stats.medianMs, p10Ms: stats.p10Ms, p90Ms: stats.p90Ms, runs: stats.runs };
      latencyMs[batch === 1 ? 'batch1' : 'batch64'] = summary;
    }
  }
  return {
    params: cost.params,
    macs: cost.macs,
    bytes: cost.bytes,
    fileBytes: bytes.byteLength,
    accuracy: evaluation.accuracy,
    ...(evaluation.loss !== undefined && Number.isFinite(evaluation.loss) ? { loss: evaluation.loss } : {}),
    latencyMs,
  };
}
