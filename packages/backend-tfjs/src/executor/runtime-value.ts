import type * as tfc from '@tensorflow/tfjs-core';
import { DataType, isFloatType } from '@metacompress/ir';
import {
  channelsFirstPerm,
  channelsLastPerm,
  invertPerm,
  logicalShape,
  permute,
  type Layout,
  type Tf,
} from './layout';

/** A value computed by tfjs during a forward pass, with the layout it is stored in. */
export interface TensorValue {
  kind: 'tensor';
  tensor: tfc.Tensor;
  layout: Layout;
  /** The ONNX element type it stands for (float ops compute in float32; int64 lives as int32). */
  dataType: DataType;
}

/**
 * A constant known on the host: an integer initializer, a folded shape, the output of Shape.
 * Shape arithmetic runs on these without touching tfjs; `tensor` is made on first use.
 */
export interface ConstValue {
  kind: 'const';
  dataType: DataType;
  dims: readonly number[];
  values: ArrayLike<number>;
  /** The tfjs tensor of the values (float32, int32 or bool), once something needed it. */
  tensor?: tfc.Tensor;
  /** Kept across forward passes (initializers): its tensor is kept and freed by `dispose()`. */
  persistent?: boolean;
}

/**
 * A weight stored in the layout its kernel wants (e.g. a Conv weight as `[kh, kw, C/g, M]`, a
 * Gemm `transB` weight as `[K, N]`), so tfjs reuses it as is — and the wasm backend keeps its
 * packed form between calls while the weight is unchanged. `stored = transpose(logical, perm)`.
 */
export interface WeightValue {
  kind: 'weight';
  /** Initializer name. */
  name: string;
  stored: tfc.Tensor;
  perm: readonly number[];
  dataType: DataType;
  /** The logical tensor, once some reader needed it (one transpose per forward pass). */
  logical?: tfc.Tensor;
}

/** What flows along a graph edge while an executor runs. */
export type RuntimeValue = TensorValue | ConstValue | WeightValue;

/**
 * The tfjs dtype an ONNX element type computes in.
 *
 * @example
 * tfDtypeOf(DataType.INT64); // 'int32'
 */
export function tfDtypeOf(dataType: DataType): 'float32' | 'int32' | 'bool' {
  if (dataType === DataType.BOOL) return 'bool';
  if (isFloatType(dataType)) return 'float32';
  return 'int32';
}

/**
 * A tensor value.
 *
 * @example
 * tensorValue(tf.zeros([1, 28, 28, 6]), 'nhwc');
 */
export function tensorValue(
  tensor: tfc.Tensor,
  layout: Layout = 'nchw',
  dataType: DataType = DataType.FLOAT,
): TensorValue {
  return { kind: 'tensor', tensor, layout: tensor.rank >= 3 ? layout : 'nchw', dataType };
}

/**
 * A host constant.
 *
 * @example
 * constValue(DataType.INT64, [2], [0, -1]);
 */
export function constValue(
  dataType: DataType,
  dims: readonly number[],
  values: ArrayLike<number>,
): ConstValue {
  return { kind: 'const', dataType, dims, values };
}

/**
 * The logical (ONNX) shape of a value.
 *
 * @example
 * shapeOf(v); // [8, 6, 28, 28]
 */
export function shapeOf(v: RuntimeValue): number[] {
  if (v.kind === 'const') return [...v.dims];
  if (v.kind === 'weight') return invertPerm(v.perm).map((p) => v.stored.shape[p]!);
  return logicalShape(v.tensor.shape, v.layout);
}

/**
 * The tfjs tensor of a constant, made once (kept when the constant is persistent).
 *
 * @example
 * materialize(tf, c); // int32 tensor for an int64 constant
 */
export function materialize(tf: Tf, c: ConstValue): tfc.Tensor {
  if (c.tensor && !c.tensor.isDisposed) return c.tensor;
  const dtype = tfDtypeOf(c.dataType);
  const data =
    dtype === 'float32'
      ? Float32Array.from(c.values)
      : dtype === 'int32'
        ? Int32Array.from(c.values, clampInt32)
        : Uint8Array.from(c.values);
  let t = tf.tensor(data, [...c.dims], dtype);
  if (c.persistent) t = tf.keep(t);
  c.tensor = t;
  return t;
}

function clampInt32(v: number): number {
  if (v >= 2147483647) return 2147483647;
  if (v <= -2147483648) return -2147483648;
  return Math.trunc(v);
}

/**
 * The value as a tfjs tensor in logical (ONNX) order.
 *
 * @example
 * logicalTensor(tf, v).shape; // [8, 6, 28, 28]
 */
export function logicalTensor(tf: Tf, v: RuntimeValue): tfc.Tensor {
  if (v.kind === 'const') return materialize(tf, v);
  if (v.kind === 'weight') return (v.logical ??= permute(tf, v.stored, invertPerm(v.perm)));
  if (v.layout === 'nchw') return v.tensor;
  return permute(tf, v.tensor, channelsFirstPerm(v.tensor.rank));
}

/**
 * The value as a tfjs tensor stored channels-last (rank ≥ 3; lower ranks are returned as they are).
 *
 * @example
 * channelsLastTensor(tf, v).shape; // [8, 28, 28, 6]
 */
export function channelsLastTensor(tf: Tf, v: RuntimeValue): tfc.Tensor {
  const t = v.kind === 'tensor' ? v.tensor : logicalTensor(tf, v);
  if (t.rank < 3 || (v.kind === 'tensor' && v.layout === 'nhwc')) return t;
  return permute(tf, t, channelsLastPerm(t.rank));
}

/**
 * The value's tensor in the given layout.
 *
 * @example
 * tensorIn(tf, v, 'nhwc');
 */
export function tensorIn(tf: Tf, v: RuntimeValue, layout: Layout): tfc.Tensor {
  return layout === 'nhwc' ? channelsLastTensor(tf, v) : logicalTensor(tf, v);
}

/**
 * The tensor of a weight in the stored layout `perm` when it is stored that way, else undefined.
 *
 * @example
 * storedAs(ctx.input(1), [2, 3, 1, 0]); // the conv filter as tfjs wants it, or undefined
 */
export function storedAs(v: RuntimeValue | undefined, perm: readonly number[]): tfc.Tensor | undefined {
  return v?.kind === 'weight' && v.perm.length === perm.length && v.perm.every((p, i) => p === perm[i])
    ? v.stored
    : undefined;
}

/**
 * The layout of a value (constants and weights are logical).
 *
 * @example
 * layoutOf(v); // 'nhwc'
 */
export function layoutOf(v: RuntimeValue): Layout {
  return v.kind === 'tensor' ? v.layout : 'nchw';
}
