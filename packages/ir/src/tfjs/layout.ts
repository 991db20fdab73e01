/**
 * Permutation helpers shared by the TF.js codec. Convention everywhere in this folder:
 * `transpose(x, perm)` has dims `perm.map((p) => x.dims[p])` (numpy / ONNX Transpose semantics).
 */
import { ErrorCodes, MetacompressError } from '@metacompress/core';

/** NCHW → NHWC: `transpose(nchw, NHWC_FROM_NCHW)` is NHWC. */
export const NHWC_FROM_NCHW: readonly number[] = [0, 2, 3, 1];
/** NHWC → NCHW: `transpose(nhwc, NCHW_FROM_NHWC)` is NCHW. */
export const NCHW_FROM_NHWC: readonly number[] = [0, 3, 1, 2];

/**
 * The identity permutation of a rank.
 *
 * @example
 * identityPerm(3); // [0, 1, 2]
 */
export function identityPerm(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i);
}

/**
 * True when `perm` is the identity.
 *
 * @example
 * isIdentity([0, 1, 2]); // true
 */
export function isIdentity(perm: readonly number[]): boolean {
  return perm.every((p, i) => p === i);
}

/**
 * The inverse permutation: `transpose(transpose(x, p), inversePerm(p))` is `x`.
 *
 * @example
 * inversePerm([0, 2, 3, 1]); // [0, 3, 1, 2]
 */
export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return inv;
}

/**
 * The permutation of two transposes in a row: `transpose(transpose(x, first), then)` is
 * `transpose(x, composePerm(first, then))`.
 *
 * @example
 * composePerm([0, 2, 3, 1], [0, 3, 1, 2]); // [0, 1, 2, 3]
 */
export function composePerm(first: readonly number[], then: readonly number[]): number[] {
  return then.map((t) => first[t]);
}

/**
 * True when `perm` is a permutation of 0..n−1.
 *
 * @example
 * isPermutation([1, 0]); // true
 */
export function isPermutation(perm: readonly unknown[]): perm is number[] {
  const seen = new Set<number>();
  for (const p of perm) {
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p >= perm.length || seen.has(p))
      return false;
    seen.add(p);
  }
  return true;
}

/**
 * Transposes row-major float data of shape `dims` by `perm` (a copy).
 *
 * @example
 * transposeData(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], [1, 0]); // [1, 4, 2, 5, 3, 6]
 */
export function transposeData(
  values: Float32Array,
  dims: readonly number[],
  perm: readonly number[],
): Float32Array {
  const rank = dims.length;
  if (perm.length !== rank || !isPermutation(perm)) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `perm [${perm.join(', ')}] does not fit dims [${dims.join(', ')}]`,
      { field: 'perm' },
    );
  }
  const out = new Float32Array(values.length);
  if (isIdentity(perm)) {
    out.set(values);
    return out;
  }
  const outDims = perm.map((p) => dims[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= dims[i];
  }
  // stride in the input of each output axis
  const strideOf = perm.map((p) => inStrides[p]);
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = values[src];
    for (let ax = rank - 1; ax >= 0; ax--) {
      index[ax]++;
      src += strideOf[ax];
      if (index[ax] < outDims[ax]) break;
      src -= strideOf[ax] * outDims[ax];
      index[ax] = 0;
    }
  }
  return out;
}

/**
 * Column map between two flattenings of the same features. The features have dims `dims` in the
 * first ordering ("ours"); the other ordering flattens `transpose(features, perm)`. Returns `map`
 * with `map[k]` = our column index of the other ordering's column `k`.
 *
 * For NCHW features `[C, H, W]` flattened by Keras in H, W, C order: `flatColumnMap([C, H, W], [1, 2, 0])`.
 *
 * @example
 * flatColumnMap([2, 1, 2], [1, 2, 0]); // C=2,H=1,W=2: keras (h,w,c) order → [0, 2, 1, 3]
 */
export function flatColumnMap(dims: readonly number[], perm: readonly number[]): Int32Array {
  const count = dims.reduce((a, b) => a * b, 1);
  const ours = new Float32Array(count);
  for (let i = 0; i < count; i++) ours[i] = i;
  return Int32Array.from(transposeData(ours, dims, perm));
}

/**
 * Reorders the rows of a row-major `[rows, cols]` matrix: row `k` of the result is row `map[k]` of the input.
 *
 * @example
 * permuteRows(new Float32Array([1, 2, 3, 4]), 2, [1, 0]); // [3, 4, 1, 2]
 */
export function permuteRows(values: Float32Array, cols: number, map: ArrayLike<number>): Float32Array {
  const out = new Float32Array(values.length);
  for (let k = 0; k < map.length; k++) out.set(values.subarray(map[k] * cols, (map[k] + 1) * cols), k * cols);
  return out;
}

/**
 * The inverse of a column map (`inv[map[k]] = k`).
 *
 * @example
 * invertMap(Int32Array.from([1, 2, 0])); // [2, 0, 1]
 */
export function invertMap(map: ArrayLike<number>): Int32Array {
  const inv = new Int32Array(map.length);
  for (let k = 0; k < map.length; k++) inv[map[k]] = k;
  return inv;
}
