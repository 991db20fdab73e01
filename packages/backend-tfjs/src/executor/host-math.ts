import { ErrorCodes, MetacompressError } from '@metacompress/core';

/**
 * Strides of a row-major shape.
 *
 * @example
 * stridesOf([2, 3, 4]); // [12, 4, 1]
 */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

/**
 * Numpy-style broadcast of two shapes; undefined when they do not broadcast.
 *
 * @example
 * broadcastShapes([8, 1, 4], [3, 1]); // [8, 3, 4]
 */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/**
 * Elementwise `f` over broadcast host arrays (shape arithmetic on constants).
 *
 * @example
 * hostBroadcast([2], [1, 2], [], [3], (x, y) => x * y); // { dims: [2], values: [3, 6] }
 */
export function hostBroadcast(
  aDims: readonly number[],
  a: ArrayLike<number>,
  bDims: readonly number[],
  b: ArrayLike<number>,
  f: (x: number, y: number) => number,
): { dims: number[]; values: number[] } {
  const dims = broadcastShapes(aDims, bDims);
  if (!dims)
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `shapes [${aDims.join(', ')}] and [${bDims.join(', ')}] do not broadcast`,
    );
  const r = dims.length;
  const sa = stridesOf(aDims);
  const sb = stridesOf(bDims);
  const total = dims.reduce((x, y) => x * y, 1);
  const values = new Array<number>(total);
  const idx = new Array<number>(r).fill(0);
  for (let k = 0; k < total; k++) {
    let ia = 0;
    let ib = 0;
    for (let i = 0; i < r; i++) {
      const ai = i - (r - aDims.length);
      const bi = i - (r - bDims.length);
      if (ai >= 0 && aDims[ai] !== 1) ia += idx[i]! * sa[ai]!;
      if (bi >= 0 && bDims[bi] !== 1) ib += idx[i]! * sb[bi]!;
    }
    values[k] = f(a[ia]!, b[ib]!);
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i]! < dims[i]!) break;
      idx[i] = 0;
    }
  }
  return { dims, values };
}

/**
 * Takes `indices` along `axis` of a host array (ONNX Gather; negative indices count from the end).
 *
 * @example
 * hostGather([3], [10, 20, 30], [], [-1], 0); // { dims: [], values: [30] }
 */
export function hostGather(
  dims: readonly number[],
  values: ArrayLike<number>,
  indexDims: readonly number[],
  indices: ArrayLike<number>,
  axis: number,
): { dims: number[]; values: number[] } {
  const d = dims[axis]!;
  const outer = dims.slice(0, axis).reduce((x, y) => x * y, 1);
  const inner = dims.slice(axis + 1).reduce((x, y) => x * y, 1);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < indices.length; j++) {
      let k = indices[j]!;
      if (k < 0) k += d;
      if (k < 0 || k >= d)
        throw new MetacompressError(
          ErrorCodes.MODEL_INVALID,
          `Gather index ${indices[j]} is outside [${-d}, ${d})`,
        );
      for (let i = 0; i < inner; i++) out.push(values[(o * d + k) * inner + i]!);
    }
  }
  return { dims: [...dims.slice(0, axis), ...indexDims, ...dims.slice(axis + 1)], values: out };
}

/**
 * Concatenates host arrays along `axis`.
 *
 * @example
 * hostConcat([{ dims: [1], values: [0] }, { dims: [1], values: [-1] }], 0); // { dims: [2], values: [0, -1] }
 */
export function hostConcat(
  parts: readonly { dims: readonly number[]; values: ArrayLike<number> }[],
  axis: number,
): { dims: number[]; values: number[] } {
  const first = parts[0]!.dims;
  const outer = first.slice(0, axis).reduce((x, y) => x * y, 1);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const chunk = p.dims.slice(axis).reduce((x, y) => x * y, 1);
      for (let i = 0; i < chunk; i++) out.push(p.values[o * chunk + i]!);
    }
  }
  const dims = [...first];
  dims[axis] = parts.reduce((s, p) => s + p.dims[axis]!, 0);
  return { dims, values: out };
}

/**
 * Normalizes a possibly negative axis for a rank, or returns undefined when out of range.
 *
 * @example
 * normalizeAxis(-1, 4); // 3
 */
export function normalizeAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : undefined;
}
