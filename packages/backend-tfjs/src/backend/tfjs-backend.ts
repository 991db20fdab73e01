import type { Dataset, DifferentiableBackend, EvaluationResult, LabeledBatch } from '@metacompress/core';
import { ErrorCodes, MetacompressError } from '@metacompress/core';
import type { Graph } from '@metacompress/ir';
import type { TfjsRuntime } from '../engine/init-tfjs';

/**
 * What runs IR graphs on a {@link TfjsRuntime}: the differentiable executor (it lands in a later
 * part of this package; until then {@link createTfjsBackend} is given none and its graph methods
 * throw `MC_UNSUPPORTED_OP`).
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
      `${method}() needs the IR executor, which this build of @metacompress/backend-tfjs does not have yet`,
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
