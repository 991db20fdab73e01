import type { Dataset, DifferentiableBackend, EvaluationResult, LabeledBatch } from '@metacompress/core';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { Graph } from '@metacompress/ir';
import type { TfjsRuntime } from '../engine/init-tfjs';

/**
 * What runs IR graphs on a {@link TfjsRuntime}: this package's `irGraphExecutor`, or another
 * implementation. A backend made without one throws `MC_UNSUPPORTED_OP` from its graph methods.
 */
export interface GraphExecutor {
  weightGradients(
    runtime: TfjsRuntime,
    model: Graph,
    batches: Iterable<LabeledBatch>,
  ): Promise<Map<string, Float32Array>>;
  evaluate(
    runtime: TfjsRuntime,
    model: Graph,
    data: Dataset,
    options?: { batchSize?: number; limit?: number },
  ): Promise<EvaluationResult>;
}

/** The differentiable backend of this package, as core's registry hands it out. */
export interface TfjsDifferentiableBackend extends DifferentiableBackend<Graph> {
  readonly name: string;
  readonly engine: TfjsRuntime['engine'];
  /** The engine handle: tfjs-core with the backend active, and why it was chosen. */
  readonly runtime: TfjsRuntime;
}

/**
 * Wraps an initialized engine as core's `DifferentiableBackend`. Every call first makes the
 * engine's backend the active one (tfjs has a single, process-wide engine).
 *
 * @example
 * const backend = createTfjsBackend(await initTfjs({ prefer: ['wasm'] }), executor);
 * const grads = await backend.weightGradients(graph, batches);
 */
export function createTfjsBackend(
  runtime: TfjsRuntime,
  executor?: GraphExecutor,
  name: string = runtime.engine,
): TfjsDifferentiableBackend {
  const ensureActive = async () => {
    if (runtime.tf.getBackend() !== runtime.backendName) await runtime.tf.setBackend(runtime.backendName);
  };
  const missing = (method: string) =>
    new MetacompressError(
      ErrorCodes.UNSUPPORTED_OP,
      `${method}() needs a graph executor, and this backend was created without one (pass irGraphExecutor)`,
      {
        backend: name,
      },
    );
  return {
    name,
    engine: runtime.engine,
    runtime,
    async weightGradients(model, batches) {
      if (!executor) throw missing('weightGradients');
      await ensureActive();
      return executor.weightGradients(runtime, model, batches);
    },
    async evaluate(model, data, options) {
      if (!executor) throw missing('evaluate');
      await ensureActive();
      return executor.evaluate(runtime, model, data, options);
    },
  };
}
