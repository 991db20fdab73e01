import type * as tfc from '@tensorflow/tfjs-core';
import { DataType, attrInt } from '@metacompress/ir';
import { normalizeAxis } from '../host-math';
import type { Tf } from '../layout';
import type { OpContext, OpHandler } from '../op-context';
import { layoutOf, shapeOf, tensorValue } from '../runtime-value';
import { alongAxis } from './align';

/** Integer range of each quantized element type. */
const RANGES: Record<number, [number, number]> = {
  [DataType.UINT8]: [0, 255],
  [DataType.INT8]: [-128, 127],
  [DataType.UINT16]: [0, 65535],
  [DataType.INT16]: [-32768, 32767],
  [DataType.INT32]: [-2147483648, 2147483647],
  [DataType.UINT4]: [0, 15],
  [DataType.INT4]: [-8, 7],
};

const steRound = new WeakMap<Tf, (x: tfc.Tensor) => tfc.Tensor>();

/**
 * Round half to even with a straight-through gradient (Bengio et al. 2013), so that gradients
 * pass through fake-quantized values as quantization-aware training expects.
 *
 * @example
 * roundStraightThrough(tf)(tf.tensor([0.5, 1.5])); // [0, 2], gradient 1
 */
export function roundStraightThrough(tf: Tf): (x: tfc.Tensor) => tfc.Tensor {
  let f = steRound.get(tf);
  if (!f) {
    f = tf.customGrad(((x: tfc.Tensor) => ({
      value: tf.round(x),
      gradFunc: (dy: tfc.Tensor) => dy,
    })) as unknown as Parameters<Tf['customGrad']>[0]) as (x: tfc.Tensor) => tfc.Tensor;
    steRound.set(tf, f);
  }
  return f;
}

/** Scale or zero point `i` shaped to broadcast against input 0 (per tensor, or per `axis`). */
function parameter(ctx: OpContext, i: number): tfc.Tensor {
  const t = ctx.tensor(i);
  if (t.size === 1) return ctx.tf.reshape(t, []);
  const v = ctx.input(0);
  const rank = shapeOf(v).length;
  const axis =
    normalizeAxis(attrInt(ctx.node, 'axis', 1), rank) ??
    ctx.invalid('axis is out of range', 'attribute.axis');
  if (t.rank !== 1 || t.size !== shapeOf(v)[axis])
    ctx.unsupported(
      `scale/zero point of shape [${t.shape.join(', ')}] is not per-tensor or per-axis`,
      `inputs[${i}]`,
    );
  return alongAxis(ctx.tf, t, axis, rank, layoutOf(v));
}

function checkBlocked(ctx: OpContext): void {
  if (attrInt(ctx.node, 'block_size', 0) !== 0)
    ctx.unsupported('blocked quantization is not supported', 'attribute.block_size');
}

/**
 * ONNX QuantizeLinear evaluated in float: `clip(round(x / scale) + zero_point)` to the output
 * type's range, with a straight-through gradient. The result holds integers as float32 values.
 */
export const quantizeLinear: OpHandler = (ctx) => {
  checkBlocked(ctx);
  const tf = ctx.tf;
  const v = ctx.input(0);
  const outType = ctx.has(2)
    ? ctx.input(2).dataType
    : attrInt(ctx.node, 'output_dtype', DataType.UINT8) || DataType.UINT8;
  const range =
    RANGES[outType] ?? ctx.unsupported(`quantizing to element type ${outType} is not supported`, 'inputs[2]');
  const x =
    v.kind === 'tensor'
      ? v.tensor.dtype === 'float32'
        ? v.tensor
        : tf.cast(v.tensor, 'float32')
      : ctx.tensor(0);
  let q = roundStraightThrough(tf)(tf.div(x, parameter(ctx, 1)));
  if (ctx.has(2)) q = tf.add(q, parameter(ctx, 2));
  return tensorValue(tf.clipByValue(q, range[0], range[1]), layoutOf(v), outType);
};

/** ONNX DequantizeLinear: `(x − zero_point) · scale` in float32 (per tensor or per axis). */
export const dequantizeLinear: OpHandler = (ctx) => {
  checkBlocked(ctx);
  const tf = ctx.tf;
  const v = ctx.input(0);
  let x = v.kind === 'tensor' ? v.tensor : ctx.tensor(0);
  if (x.dtype !== 'float32') x = tf.cast(x, 'float32');
  if (ctx.has(2)) x = tf.sub(x, parameter(ctx, 2));
  return tensorValue(tf.mul(x, parameter(ctx, 1)), layoutOf(v), DataType.FLOAT);
};
