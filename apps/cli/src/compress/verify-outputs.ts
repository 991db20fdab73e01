import type { LabeledBatch } from '@metacompress/core';
import type { OrtBackend } from '@metacompress/backend-ort';
import type { TfjsRuntime } from '@metacompress/backend-tfjs';
import { buildExecutor } from '@metacompress/backend-tfjs';
import type { Graph } from '@metacompress/ir';

/** How far the written model's outputs are from the IR executor's. */
export interface OutputAgreement {
  samples: number;
  maxAbsDiff: number;
  /** Largest logit magnitude, for scale. */
  maxAbs: number;
}

/**
 * Runs one batch through the written bytes in onnxruntime and through the IR executor on
 * TensorFlow.js, and reports the largest difference of the first output — the proof that the file
 * computes what the IR says it does.
 *
 * @example
 * const agreement = await compareWithExecutor(graph, bytes, ort, tfjs, batch);
 */
export async function compareWithExecutor(graph: Graph, bytes: Uint8Array, runtime: OrtBackend, tfjs: TfjsRuntime, batch: LabeledBatch): Promise<OutputAgreement> {
  const inputName = (await runtime.inputs(bytes))[0]!.name;
  const outputName = (await runtime.outputs(bytes))[0]!.name;
  const ort = (await runtime.run(bytes, { [inputName]: batch.inputs }))[outputName]!.data as Float32Array;
  const executor = buildExecutor(graph, { tf: tfjs.tf, trainable: 'none' });
  try {
    const { tf } = tfjs;
    const x = tf.tensor(batch.inputs.data, [...batch.inputs.dims]);
    const y = executor.predict(x);
    const ref = (await y.data()) as Float32Array;
    tf.dispose([x, y]);
    let maxAbsDiff = 0;
    let maxAbs = 0;
    for (let i = 0; i < ref.length; i++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(ref[i]! - ort[i]!));
      maxAbs = Math.max(maxAbs, Math.abs(ref[i]!));
    }
    return { samples: batch.labels.length, maxAbsDiff, maxAbs };
  } finally {
    executor.dispose();
  }
}
