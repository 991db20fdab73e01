import type * as tfc from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError, type LabeledBatch } from '@metacompress/core';
import { isFloatType, type Graph } from '@metacompress/ir';
import type { GraphExecutor } from '../backend/tfjs-backend';
import type { TfjsRuntime } from '../engine/init-tfjs';
import { crossEntropy } from '../train/losses';
import { evaluate } from '../train/evaluate';
import { buildExecutor, type BuildExecutorOptions } from './build-executor';
import { invertPerm } from './layout';

/**
 * Sum over `batches` of d(mean cross-entropy of the first output)/d(initializer) for every float
 * initializer of the graph (zeros for those the loss does not depend on), e.g. for Taylor
 * importance (Molchanov et al. 2019). Weights are not changed.
 *
 * @example
 * const grads = weightGradients(tf, graph, dataset.batches(64, { limit: 256 }));
 * grads.get('conv1.weight'); // Float32Array, same length as the weight
 */
export function weightGradients(
  tf: BuildExecutorOptions['tf'],
  graph: Graph,
  batches: Iterable<LabeledBatch>,
  options: Omit<BuildExecutorOptions, 'tf' | 'trainable'> = {},
): Map<string, Float32Array> {
  const exec = buildExecutor(graph, { ...options, tf, trainable: 'none' });
  try {
    const names = [...exec.variables.keys()];
    const variables = names.map((n) => exec.variables.get(n)!);
    const sums = new Map<string, Float32Array>();
    for (const t of graph.initializers) {
      if (isFloatType(t.dataType) && t.raw)
        sums.set(t.name, new Float32Array(t.dims.reduce((a, b) => a * b, 1)));
    }
    const inputName = exec.inputNames[0];
    const outputName = exec.outputNames[0];
    if (!inputName || !outputName)
      throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'the graph needs an input and an output');
    let count = 0;
    for (const batch of batches) {
      count += 1;
      tf.tidy(() => {
        const x = tf.tensor(batch.inputs.data, [...batch.inputs.dims], 'float32');
        const y = tf.tensor1d(batch.labels, 'int32');
        const loss = () =>
          crossEntropy(tf, exec.forward({ [inputName]: x }, { outputs: [outputName] })[outputName]!, y);
        // The engine's own entry point: unlike tf.grads it allows weights the loss does not reach.
        const { grads } = tf
          .engine()
          .gradients(loss, variables as tfc.Tensor[], null as unknown as tfc.Tensor, true);
        grads.forEach((g, i) => {
          if (!g) return;
          const acc = sums.get(names[i]!)!;
          const perm = exec.weightPerm(names[i]!);
          const values = (perm ? tf.transpose(g, invertPerm(perm)) : g).dataSync();
          for (let k = 0; k < acc.length; k++) acc[k]! += values[k]!;
        });
      });
    }
    if (count === 0)
      throw new MetacompressError(ErrorCodes.EMPTY_DATASET, 'no batches to compute gradients on', {
        field: 'batches',
      });
    return sums;
  } finally {
    exec.dispose();
  }
}

/**
 * Core's graph-level methods on the IR executor: what `createTfjsBackend` and the registered
 * `tfjs-*` backends call. Each call builds an executor for the graph, runs, and frees it.
 *
 * @example
 * const backend = createTfjsBackend(await initTfjs(), irGraphExecutor);
 * await backend.evaluate(graph, testSet, { limit: 1000 }); // { accuracy, loss, samples }
 */
export const irGraphExecutor: GraphExecutor = {
  async weightGradients(runtime: TfjsRuntime, model: Graph, batches: Iterable<LabeledBatch>) {
    return weightGradients(runtime.tf, model, batches);
  },
  async evaluate(runtime, model, data, options) {
    const exec = buildExecutor(model, { tf: runtime.tf, trainable: 'none' });
    try {
      return await evaluate(exec, data, options ?? {});
    } finally {
      exec.dispose();
    }
  },
};
