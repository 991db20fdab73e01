import type * as tfc from '@tensorflow/tfjs-core';
import { DataType, attrInt, attrInts } from '@metacompress/ir';
import { physicalAxis, type Tf } from '../layout';
import { normalizeAxis } from '../host-math';
import type { OpContext, OpHandler } from '../op-context';
import { layoutOf, logicalTensor, shapeOf, tensorValue } from '../runtime-value';

type Reducer = (tf: Tf, x: tfc.Tensor, axes: number[], keep: boolean) => tfc.Tensor;

/**
 * A Reduce* op: axes from the attribute before `inputSince`, from the optional input after;
 * `keepdims` keeps the layout (reduced channels-last dims stay where they are), otherwise the
 * reduction runs in logical order.
 */
function reduction(inputSince: number, f: Reducer): OpHandler {
  return (ctx) => {
    const v = ctx.input(0);
    const rank = shapeOf(v).length;
    let axes: number[] | undefined;
    if (ctx.opset >= inputSince) axes = ctx.has(1) ? ctx.numbers(1) : undefined;
    else axes = attrInts(ctx.node, 'axes')?.slice();
    const keep = attrInt(ctx.node, 'keepdims', 1) !== 0;
    if (!axes || axes.length === 0) {
      if (attrInt(ctx.node, 'noop_with_empty_axes', 0) !== 0) return v;
      axes = Array.from({ length: rank }, (_, i) => i);
    }
    const logicalAxes = axes.map(
      (a) => normalizeAxis(a, rank) ?? ctx.invalid(`axis ${a} is out of range`, 'axes'),
    );
    let x = v.kind === 'tensor' && keep ? v.tensor : logicalTensor(ctx.tf, v);
    if (x.dtype !== 'float32') x = ctx.tf.cast(x, 'float32');
    const layout = keep ? layoutOf(v) : 'nchw';
    const physical = logicalAxes.map((a) => physicalAxis(a, rank, layout));
    return tensorValue(f(ctx.tf, x, physical, keep), layout, v.dataType);
  };
}

/** Reduce ops, by ONNX op type (ReduceSum takes axes as an input from opset 13, the others from 18). */
export const REDUCE_OPS: Record<string, OpHandler> = {
  ReduceMean: reduction(18, (tf, x, a, k) => tf.mean(x, a, k)),
  ReduceSum: reduction(13, (tf, x, a, k) => tf.sum(x, a, k)),
  ReduceMax: reduction(18, (tf, x, a, k) => tf.max(x, a, k)),
  ReduceMin: reduction(18, (tf, x, a, k) => tf.min(x, a, k)),
  ReduceProd: reduction(18, (tf, x, a, k) => tf.prod(x, a, k)),
  ReduceL1: reduction(18, (tf, x, a, k) => tf.sum(tf.abs(x), a, k)),
  ReduceL2: reduction(18, (tf, x, a, k) => tf.sqrt(tf.sum(tf.square(x), a, k))),
  ReduceSumSquare: reduction(18, (tf, x, a, k) => tf.sum(tf.square(x), a, k)),
  ReduceLogSum: reduction(18, (tf, x, a, k) => tf.log(tf.sum(x, a, k))),
  ReduceLogSumExp: reduction(18, (tf, x, a, k) => tf.logSumExp(x, a, k)),
};

/** Applies `f` along the last axis after moving `axis` there (and back). */
function alongLast(tf: Tf, x: tfc.Tensor, axis: number, f: (t: tfc.Tensor) => tfc.Tensor): tfc.Tensor {
  if (axis === x.rank - 1) return f(x);
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  perm[axis] = x.rank - 1;
  perm[x.rank - 1] = axis;
  return tf.transpose(f(tf.transpose(x, perm)), perm);
}

/**
 * Softmax-style ops: opset < 13 coerces the input to 2-D at `axis` (default 1); from 13 the op
 * runs along `axis` (default -1). Channels-last inputs reduce along their physical channel axis.
 */
function softmaxLike(f: (tf: Tf, x: tfc.Tensor) => tfc.Tensor): OpHandler {
  return (ctx: OpContext) => {
    const tf = ctx.tf;
    const v = ctx.input(0);
    const dims = shapeOf(v);
    const rank = dims.length;
    if (ctx.opset < 13) {
      const axis =
        normalizeAxis(attrInt(ctx.node, 'axis', 1), rank) ??
        ctx.invalid('axis is out of range', 'attribute.axis');
      const x = logicalTensor(tf, v);
      const flat = tf.reshape(x, [
        dims.slice(0, axis).reduce((a, b) => a * b, 1),
        dims.slice(axis).reduce((a, b) => a * b, 1),
      ]);
      return tensorValue(tf.reshape(f(tf, flat), dims), 'nchw', v.dataType);
    }
    const axis =
      normalizeAxis(attrInt(ctx.node, 'axis', -1), rank) ??
      ctx.invalid('axis is out of range', 'attribute.axis');
    const layout = layoutOf(v);
    const x = v.kind === 'tensor' ? v.tensor : logicalTensor(tf, v);
    return tensorValue(
      alongLast(tf, x, physicalAxis(axis, rank, layout), (t) => f(tf, t)),
      layout,
      v.dataType,
    );
  };
}

/** Softmax, LogSoftmax and Hardmax. */
export const SOFTMAX_OPS: Record<string, OpHandler> = {
  Softmax: softmaxLike((tf, x) => tf.softmax(x)),
  LogSoftmax: softmaxLike((tf, x) => tf.logSoftmax(x)),
  Hardmax: softmaxLike((tf, x) => tf.cast(tf.oneHot(tf.argMax(x, -1), x.shape[x.rank - 1]!), 'float32')),
};

/** ArgMax/ArgMin (int64 output; select_last_index unsupported). */
function argReduce(kind: 'max' | 'min'): OpHandler {
  return (ctx) => {
    if (attrInt(ctx.node, 'select_last_index', 0) !== 0)
      ctx.unsupported('select_last_index=1 is not supported', 'attribute.select_last_index');
    const x = ctx.logical(0);
    const axis =
      normalizeAxis(attrInt(ctx.node, 'axis', 0), x.rank) ??
      ctx.invalid('axis is out of range', 'attribute.axis');
    let y = kind === 'max' ? ctx.tf.argMax(x, axis) : ctx.tf.argMin(x, axis);
    if (attrInt(ctx.node, 'keepdims', 1) !== 0) y = ctx.tf.expandDims(y, axis);
    return tensorValue(y, 'nchw', DataType.INT64);
  };
}

/** ArgMax and ArgMin. */
export const ARG_OPS: Record<string, OpHandler> = { ArgMax: argReduce('max'), ArgMin: argReduce('min') };
