import type * as tfc from '@tensorflow/tfjs-core';

/** The tfjs-core module an executor computes with (the one `initTfjs` returned). */
export type Tf = typeof tfc;

/**
 * How a runtime tensor is laid out relative to its ONNX (NCHW) meaning: `nchw` — as ONNX says;
 * `nhwc` — channels last: the logical tensor `[N, C, d1, …, dk]` is stored as `[N, d1, …, dk, C]`
 * (only for rank ≥ 3). Convolutions, pooling and BatchNormalization run channels-last in tfjs, so
 * the executor keeps their activations that way and converts only where an op depends on the
 * memory order (Flatten, Reshape, Transpose, …).
 */
export type Layout = 'nchw' | 'nhwc';

/**
 * The permutation taking a logical (channels-first) tensor of `rank` to channels-last.
 *
 * @example
 * channelsLastPerm(4); // [0, 2, 3, 1]
 */
export function channelsLastPerm(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/**
 * The permutation taking a channels-last tensor of `rank` back to logical order.
 *
 * @example
 * channelsFirstPerm(4); // [0, 3, 1, 2]
 */
export function channelsFirstPerm(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/**
 * The physical axis of logical axis `axis` (already non-negative) under a layout.
 *
 * @example
 * physicalAxis(1, 4, 'nhwc'); // 3
 */
export function physicalAxis(axis: number, rank: number, layout: Layout): number {
  if (layout === 'nchw' || axis === 0) return axis;
  return axis === 1 ? rank - 1 : axis - 1;
}

/**
 * The logical (ONNX) shape of a tensor stored in `layout`.
 *
 * @example
 * logicalShape([8, 28, 28, 6], 'nhwc'); // [8, 6, 28, 28]
 */
export function logicalShape(physical: readonly number[], layout: Layout): number[] {
  if (layout === 'nchw') return [...physical];
  return channelsFirstPerm(physical.length).map((p) => physical[p]!);
}

/**
 * True when transposing `shape` by `perm` keeps the order of its non-1 dims, so a reshape moves
 * the same bytes (e.g. `[N, 1, 1, C]` → `[N, C, 1, 1]`).
 *
 * @example
 * isReshapeOnly([8, 1, 1, 16], [0, 3, 1, 2]); // true
 */
export function isReshapeOnly(shape: readonly number[], perm: readonly number[]): boolean {
  let last = -1;
  for (const p of perm) {
    if (shape[p] === 1) continue;
    if (p < last) return false;
    last = p;
  }
  return true;
}

/**
 * `tf.transpose(x, perm)`, done as a reshape when that moves the same bytes; identity perms return `x`.
 *
 * @example
 * permute(tf, x, [0, 2, 3, 1]);
 */
export function permute(tf: Tf, x: tfc.Tensor, perm: readonly number[]): tfc.Tensor {
  if (perm.every((p, i) => p === i)) return x;
  const shape = x.shape;
  if (isReshapeOnly(shape, perm))
    return tf.reshape(
      x,
      perm.map((p) => shape[p]!),
    );
  return tf.transpose(x, [...perm]);
}

/**
 * Inverse of a permutation.
 *
 * @example
 * invertPerm([0, 2, 3, 1]); // [0, 3, 1, 2]
 */
export function invertPerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}
