import type * as tfc from '@tensorflow/tfjs-core';
import { channelsLastPerm, permute, type Layout, type Tf } from '../layout';
import { channelsLastTensor, logicalTensor, shapeOf, type RuntimeValue } from '../runtime-value';

/**
 * Tensors of several values made ready for a numpy-broadcasting op, in one common layout: when a
 * channels-last value has the highest rank, the others are brought to channels-last too (a
 * `[C, 1, 1]` bias becomes `[1, 1, 1, C]` by a reshape), otherwise everything is logical.
 *
 * @example
 * const { tensors: [a, b], layout } = alignForBroadcast(tf, [x, bias]);
 */
export function alignForBroadcast(
  tf: Tf,
  values: readonly RuntimeValue[],
): { tensors: tfc.Tensor[]; layout: Layout } {
  const ranks = values.map((v) => shapeOf(v).length);
  const rank = Math.max(...ranks);
  const channelsLast =
    rank >= 3 && values.some((v, i) => v.kind === 'tensor' && v.layout === 'nhwc' && ranks[i] === rank);
  if (!channelsLast) return { tensors: values.map((v) => logicalTensor(tf, v)), layout: 'nchw' };
  const perm = channelsLastPerm(rank);
  const tensors = values.map((v, i) => {
    if (ranks[i] === rank) return channelsLastTensor(tf, v);
    const t = logicalTensor(tf, v);
    const padded = tf.reshape(t, [...new Array<number>(rank - ranks[i]!).fill(1), ...t.shape]);
    return permute(tf, padded, perm);
  });
  return { tensors, layout: 'nhwc' };
}

/**
 * A 1-D tensor shaped to broadcast along logical `axis` of a value of `rank` stored in `layout`.
 *
 * @example
 * alongAxis(tf, scale, 1, 4, 'nhwc'); // shape [1, 1, 1, C]
 */
export function alongAxis(
  tf: Tf,
  vector: tfc.Tensor,
  axis: number,
  rank: number,
  layout: Layout,
): tfc.Tensor {
  if (vector.rank === 0) return vector;
  const physical =
    layout === 'nhwc' && rank >= 3 ? (axis === 0 ? 0 : axis === 1 ? rank - 1 : axis - 1) : axis;
  const shape = new Array<number>(rank).fill(1);
  shape[physical] = vector.size;
  return tf.reshape(vector, shape);
}
