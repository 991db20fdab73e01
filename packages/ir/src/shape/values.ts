import { DataType } from '../dtype';
import {
  float16BitsToFloat32,
  float32ToFloat16Bits,
  bfloat16BitsToFloat32,
  float32ToBfloat16Bits,
} from '../float16';

/**
 * Rounds a JS number to what an element of `dataType` can hold (float32 rounding, integer
 * truncation with two's-complement wrap for ≤ 32-bit ints, 0/1 for bool).
 *
 * @example
 * roundToType(1.1, DataType.FLOAT); // Math.fround(1.1)
 * roundToType(300, DataType.UINT8); // 44
 */
export function roundToType(x: number, dataType: number): number {
  switch (dataType) {
    case DataType.FLOAT:
      return Math.fround(x);
    case DataType.FLOAT16:
      return float16BitsToFloat32(float32ToFloat16Bits(x));
    case DataType.BFLOAT16:
      return bfloat16BitsToFloat32(float32ToBfloat16Bits(x));
    case DataType.DOUBLE:
      return x;
    case DataType.BOOL:
      return x !== 0 && !Number.isNaN(x) ? 1 : 0;
    case DataType.INT8:
      return (Math.trunc(x) << 24) >> 24;
    case DataType.UINT8:
      return Math.trunc(x) & 0xff;
    case DataType.INT16:
      return (Math.trunc(x) << 16) >> 16;
    case DataType.UINT16:
      return Math.trunc(x) & 0xffff;
    case DataType.INT32:
      return Math.trunc(x) | 0;
    case DataType.UINT32:
      return Math.trunc(x) >>> 0;
    case DataType.INT64:
    case DataType.UINT64:
      return Number.isFinite(x) ? Math.trunc(x) : x;
    default:
      return x;
  }
}

/**
 * Row-major strides of a static shape.
 *
 * @example
 * stridesOf([2, 3, 4]); // [12, 4, 1]
 */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

function countOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Applies `fn` elementwise over inputs broadcast (numpy rules) to `outShape`.
 *
 * @example
 * broadcastValues([{ values: [1, 2], shape: [2] }, { values: [10], shape: [] }], [2], (a, b) => a + b); // [11, 12]
 */
export function broadcastValues<T, R>(
  inputs: readonly { values: readonly T[]; shape: readonly number[] }[],
  outShape: readonly number[],
  fn: (...args: T[]) => R,
): R[] {
  const count = countOf(outShape);
  const rank = outShape.length;
  const outStrides = stridesOf(outShape);
  const maps = inputs.map(({ shape }) => {
    const strides = stridesOf(shape);
    // effective stride per output axis (0 where broadcast)
    return outShape.map((_, axis) => {
      const k = axis - (rank - shape.length);
      return k < 0 || shape[k] === 1 ? 0 : strides[k];
    });
  });
  const out = new Array<R>(count);
  const args = new Array<T>(inputs.length);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < inputs.length; j++) {
      let rem = i;
      let offset = 0;
      const m = maps[j];
      for (let axis = 0; axis < rank; axis++) {
        const idx = Math.floor(rem / outStrides[axis]);
        rem -= idx * outStrides[axis];
        offset += idx * m[axis];
      }
      args[j] = inputs[j].values[offset];
    }
    out[i] = fn(...args);
  }
  return out;
}

/**
 * Picks elements by per-axis index lists (a cartesian product, row-major): covers Slice, Split,
 * single-axis Gather and Tile.
 *
 * @example
 * takeValues([1, 2, 3, 4, 5, 6], [2, 3], [[1], [0, 2]]); // [4, 6]
 */
export function takeValues<T>(
  values: readonly T[],
  shape: readonly number[],
  indexLists: readonly (readonly number[])[],
): T[] {
  const strides = stridesOf(shape);
  const outShape = indexLists.map((l) => l.length);
  const count = countOf(outShape);
  const out = new Array<T>(count);
  const outStrides = stridesOf(outShape);
  for (let i = 0; i < count; i++) {
    let rem = i;
    let offset = 0;
    for (let axis = 0; axis < outShape.length; axis++) {
      const idx = Math.floor(rem / outStrides[axis]);
      rem -= idx * outStrides[axis];
      offset += indexLists[axis][idx] * strides[axis];
    }
    out[i] = values[offset];
  }
  return out;
}

/**
 * Transposes row-major values.
 *
 * @example
 * transposeValues([1, 2, 3, 4, 5, 6], [2, 3], [1, 0]); // [1, 4, 2, 5, 3, 6]
 */
export function transposeValues<T>(
  values: readonly T[],
  shape: readonly number[],
  perm: readonly number[],
): T[] {
  const strides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]);
  const outStrides = stridesOf(outShape);
  const count = countOf(shape);
  const out = new Array<T>(count);
  for (let i = 0; i < count; i++) {
    let rem = i;
    let offset = 0;
    for (let axis = 0; axis < outShape.length; axis++) {
      const idx = Math.floor(rem / outStrides[axis]);
      rem -= idx * outStrides[axis];
      offset += idx * strides[perm[axis]];
    }
    out[i] = values[offset];
  }
  return out;
}

/**
 * Reduces row-major values over `axes` (the result keeps reduced axes as size 1, row-major).
 *
 * @example
 * reduceValues([1, 2, 3, 4], [2, 2], [1], (acc, x) => acc + x, 0); // [3, 7]
 */
export function reduceValues(
  values: readonly number[],
  shape: readonly number[],
  axes: readonly number[],
  step: (acc: number, x: number) => number,
  init: number,
): number[] {
  const keptShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const keptStrides = stridesOf(keptShape);
  const strides = stridesOf(shape);
  const out = new Array<number>(countOf(keptShape)).fill(init);
  for (let i = 0; i < values.length; i++) {
    let rem = i;
    let offset = 0;
    for (let axis = 0; axis < shape.length; axis++) {
      const idx = Math.floor(rem / strides[axis]);
      rem -= idx * strides[axis];
      if (!axes.includes(axis)) offset += idx * keptStrides[axis];
    }
    out[offset] = step(out[offset], values[i]);
  }
  return out;
}
