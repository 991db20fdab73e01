import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '@metacompress/core';
import type { ChannelStats } from '../student/batch-norm-insertion';
import type { TrainableModel } from './trainable-model';

/**
 * Per-channel mean and (biased) variance of intermediate values (channels on axis 1) over the
 * first `batches` batches of `data`, in order: what calibrates inserted BatchNormalizations.
 *
 * @example
 * const stats = channelStats(model, train, ['/conv1/Conv_output_0'], 8, 64);
 */
export function channelStats(
  model: TrainableModel,
  data: Dataset,
  values: readonly string[],
  batches: number,
  batchSize: number,
): Map<string, ChannelStats> {
  const sums = new Map<string, { s: Float64Array; q: Float64Array; n: number }>();
  let seen = 0;
  for (const batch of data.batches(batchSize)) {
    if (seen++ >= batches) break;
    const moments = tf.tidy(() => {
      const x = tf.tensor(batch.inputs.data, [...batch.inputs.dims]);
      const out = model.forward(x, { training: false, outputs: values });
      return values.map((v) => {
        const t = out.values[v]!;
        const axes = [0, ...Array.from({ length: t.rank - 2 }, (_, i) => i + 2)];
        const count = t.size / t.shape[1]!;
        return { s: tf.sum(t, axes).dataSync(), q: tf.sum(tf.square(t), axes).dataSync(), count };
      });
    });
    values.forEach((v, i) => {
      const m = moments[i]!;
      const acc = sums.get(v) ?? { s: new Float64Array(m.s.length), q: new Float64Array(m.s.length), n: 0 };
      for (let c = 0; c < m.s.length; c++) {
        acc.s[c] += m.s[c]!;
        acc.q[c] += m.q[c]!;
      }
      acc.n += m.count;
      sums.set(v, acc);
    });
  }
  const stats = new Map<string, ChannelStats>();
  for (const [v, { s, q, n }] of sums) {
    const mean = Float32Array.from(s, (x) => x / n);
    const variance = Float32Array.from(q, (x, c) => Math.max(0, x / n - mean[c]! * mean[c]!));
    stats.set(v, { mean, variance });
  }
  return stats;
}
