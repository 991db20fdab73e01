import type { Dataset, DenseTensor, LabeledBatch } from './data';

/** Latency statistics from warm-up runs followed by timed runs. */
export interface LatencyStats {
  batchSize: number;
  runs: number;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
}

/** Accuracy (and mean loss where the backend computes it) over a dataset. */
export interface EvaluationResult {
  accuracy: number;
  loss?: number;
  samples: number;
}

/**
 * A backend that runs a model (an IR graph, or serialized bytes) for inference: onnxruntime-web,
 * onnxruntime-node. `G` is the graph type (`Graph` from `@metacompress/ir`).
 *
 * @example
 * const ort = await backends.resolve<InferenceBackend<Graph>>('inference');
 * const outputs = await ort.run(graph, { input: { dims: [1, 1, 28, 28], data } });
 */
export interface InferenceBackend<G = unknown> {
  readonly name: string;
  /** Runs once; `outputs` may name intermediate tensors as well as graph outputs. */
  run(model: G, feeds: Record<string, DenseTensor>, options?: { outputs?: string[] }): Promise<Record<string, DenseTensor>>;
  /** Top-1 accuracy of the model's first output over a dataset. */
  evaluate(model: G, data: Dataset, options?: { batchSize?: number; limit?: number; onProgress?: (done: number, total: number) => void }): Promise<EvaluationResult>;
  /** Median latency after warm-up, with spread. */
  latency(model: G, options: { batchSize: number; warmup?: number; runs?: number }): Promise<LatencyStats>;
}

/**
 * A backend that can differentiate a model: TensorFlow.js (node, wasm or cpu).
 *
 * @example
 * const tfjs = await backends.resolve<DifferentiableBackend<Graph>>('differentiable');
 * const grads = await tfjs.weightGradients(graph, batches); // d(cross-entropy)/d(initializer), summed
 */
export interface DifferentiableBackend<G = unknown> {
  readonly name: string;
  /** Which engine really runs (e.g. `tfjs-wasm`), for reports. */
  readonly engine: string;
  /** Sum over the batches of d(mean cross-entropy)/d(weight) for every float initializer. */
  weightGradients(model: G, batches: Iterable<LabeledBatch>): Promise<Map<string, Float32Array>>;
  /** Mean cross-entropy and accuracy over a dataset. */
  evaluate(model: G, data: Dataset, options?: { batchSize?: number; limit?: number }): Promise<EvaluationResult>;
}
