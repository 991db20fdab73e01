import type { DataType } from '../dtype';
import type { Dim } from '../graph';

/**
 * What shape inference knows about one value: its element type, its shape when the rank is known
 * (dims may be symbolic strings or `null` when unknown), and for small tensors whose contents are
 * known at load time (initializers, Constant, Shape of a static tensor, arithmetic on those) the
 * contents in row-major order.
 *
 * `symbolic` holds the contents of a small integer tensor known only up to symbols — e.g. the
 * result of `Shape` on a tensor of shape `['N', 16, 5, 5]` is `['N', 16, 5, 5]` — so that a
 * `Reshape` fed by `Shape → Gather → Concat` still gets a target. When every element is a number,
 * `value` is set instead and `symbolic` is absent.
 *
 * @example
 * const x: ValueShape = { dataType: DataType.FLOAT, shape: ['N', 3, 224, 224] };
 * const target: ValueShape = { dataType: DataType.INT64, shape: [2], value: [1, -1] };
 */
export interface ValueShape {
  dataType: DataType;
  /** undefined when even the rank is unknown. */
  shape?: readonly Dim[];
  /** Known contents (row-major); only for small numeric tensors. Bool as 0/1. */
  value?: readonly number[];
  /** Contents of a small integer tensor known up to symbolic dims (strings) or unknowns (null). */
  symbolic?: readonly Dim[];
}

/**
 * The known elements of a value: `value` when fully known, else `symbolic`, else undefined.
 *
 * @example
 * knownElements({ dataType: 7, shape: [2], symbolic: ['N', 16] }); // ['N', 16]
 */
export function knownElements(v: ValueShape | undefined): readonly Dim[] | undefined {
  return v?.value ?? v?.symbolic;
}

/**
 * The shape as numbers when every dim is a known number, else undefined.
 *
 * @example
 * staticShape({ dataType: 1, shape: [1, 3] }); // [1, 3]
 * staticShape({ dataType: 1, shape: ['N', 3] }); // undefined
 */
export function staticShape(v: ValueShape | undefined): number[] | undefined {
  const shape = v?.shape;
  if (!shape) return undefined;
  for (const d of shape) if (typeof d !== 'number') return undefined;
  return shape as number[];
}

/**
 * Product of dims, or undefined when any dim is not a known number.
 *
 * @example
 * dimsProduct([2, 3, 4]); // 24
 */
export function dimsProduct(shape: readonly Dim[] | undefined): number | undefined {
  if (!shape) return undefined;
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}
