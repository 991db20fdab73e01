import type * as tfc from '@tensorflow/tfjs-core';
import { DataType, attrFloat, attrString, isFloatType } from '@metacompress/ir';
import type { Tf } from '../layout';
import { broadcastShapes, hostBroadcast } from '../host-math';
import type { OpContext, OpHandler } from '../op-context';
import { constValue, layoutOf, tensorValue, type RuntimeValue } from '../runtime-value';
import { alignForBroadcast } from './align';

/** A unary float op that keeps its input's layout. */
export function unary(f: (tf: Tf, x: tfc.Tensor, ctx: OpContext) => tfc.Tensor): OpHandler {
  return (ctx) => {
    const v = ctx.input(0);
    let x = ctx.tensor(0);
    if (x.dtype !== 'float32') x = ctx.tf.cast(x, 'float32');
    return tensorValue(f(ctx.tf, x, ctx), layoutOf(v), isFloatType(v.dataType) ? v.dataType : DataType.FLOAT);
  };
}

const SQRT1_2 = Math.SQRT1_2;
const GELU_TANH_C = Math.sqrt(2 / Math.PI);

/** Unary activations and math ops, by ONNX op type. */
export const UNARY_OPS: Record<string, OpHandler> = {
  Relu: unary((tf, x) => tf.relu(x)),
  LeakyRelu: unary((tf, x, ctx) => tf.leakyRelu(x, attrFloat(ctx.node, 'alpha', 0.01))),
  Elu: unary((tf, x, ctx) => {
    const alpha = attrFloat(ctx.node, 'alpha', 1);
    if (alpha === 1) return tf.elu(x);
    return tf.add(tf.relu(x), tf.mul(alpha, tf.sub(tf.exp(tf.minimum(x, 0)), 1)));
  }),
  Selu: unary((tf, x, ctx) => {
    const alpha = attrFloat(ctx.node, 'alpha', 1.67326319217681884765625);
    const gamma = attrFloat(ctx.node, 'gamma', 1.05070102214813232421875);
    return tf.mul(gamma, tf.add(tf.relu(x), tf.mul(alpha, tf.sub(tf.exp(tf.minimum(x, 0)), 1))));
  }),
  Sigmoid: unary((tf, x) => tf.sigmoid(x)),
  Tanh: unary((tf, x) => tf.tanh(x)),
  HardSigmoid: unary((tf, x, ctx) =>
    tf.clipByValue(
      tf.add(tf.mul(x, attrFloat(ctx.node, 'alpha', 0.2)), attrFloat(ctx.node, 'beta', 0.5)),
      0,
      1,
    ),
  ),
  HardSwish: unary((tf, x) => tf.mul(x, tf.clipByValue(tf.add(tf.mul(x, 1 / 6), 0.5), 0, 1))),
  Softplus: unary((tf, x) => tf.softplus(x)),
  Softsign: unary((tf, x) => tf.div(x, tf.add(tf.abs(x), 1))),
  Mish: unary((tf, x) => tf.mul(x, tf.tanh(tf.softplus(x)))),
  Gelu: unary((tf, x, ctx) => {
    if (attrString(ctx.node, 'approximate', 'none') === 'tanh') {
      const inner = tf.mul(GELU_TANH_C, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
    }
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.mul(x, SQRT1_2))));
  }),
  Erf: unary((tf, x) => tf.erf(x)),
  Exp: unary((tf, x) => tf.exp(x)),
  Log: unary((tf, x) => tf.log(x)),
  Sqrt: unary((tf, x) => tf.sqrt(x)),
  Abs: unary((tf, x) => tf.abs(x)),
  Neg: unary((tf, x) => tf.neg(x)),
  Reciprocal: unary((tf, x) => tf.reciprocal(x)),
  Floor: unary((tf, x) => tf.floor(x)),
  Ceil: unary((tf, x) => tf.ceil(x)),
  Round: unary((tf, x) => tf.round(x)),
  Sign: unary((tf, x) => tf.sign(x)),
  Sin: unary((tf, x) => tf.sin(x)),
  Cos: unary((tf, x) => tf.cos(x)),
};

type HostFn = (x: number, y: number) => number;
type TfFn = (tf: Tf, a: tfc.Tensor, b: tfc.Tensor, ints: boolean) => tfc.Tensor;

const truncDiv: HostFn = (x, y) => Math.trunc(x / y);

/** A broadcasting binary op: host math on constants, tfjs otherwise, in the inputs' common layout. */
function binary(tfFn: TfFn, hostFn?: HostFn, hostIntFn?: HostFn, resultType?: DataType): OpHandler {
  return (ctx) => {
    const a = ctx.input(0);
    const b = ctx.input(1);
    const ints = !isFloatType(a.dataType) && a.dataType !== DataType.BOOL;
    const outType = resultType ?? a.dataType;
    if (a.kind === 'const' && b.kind === 'const' && hostFn) {
      const r = hostBroadcast(a.dims, a.values, b.dims, b.values, ints && hostIntFn ? hostIntFn : hostFn);
      return constValue(
        outType,
        r.dims,
        ints && outType !== DataType.BOOL ? r.values.map(Math.trunc) : r.values,
      );
    }
    const { tensors, layout } = alignForBroadcast(ctx.tf, [a, b]);
    let [x, y] = tensors as [tfc.Tensor, tfc.Tensor];
    if (x.dtype !== y.dtype) {
      const dtype = x.dtype === 'float32' || y.dtype === 'float32' ? 'float32' : 'int32';
      x = ctx.tf.cast(x, dtype);
      y = ctx.tf.cast(y, dtype);
    }
    return tensorValue(tfFn(ctx.tf, x, y, x.dtype === 'int32'), layout, outType);
  };
}

/** Variadic elementwise ops (Sum, Mean, Max, Min) folded pairwise. */
function variadic(
  f: (tf: Tf, a: tfc.Tensor, b: tfc.Tensor) => tfc.Tensor,
  finish?: (tf: Tf, acc: tfc.Tensor, n: number) => tfc.Tensor,
): OpHandler {
  return (ctx) => {
    const values = ctx.inputs.filter((v): v is RuntimeValue => v !== undefined);
    const { tensors, layout } = alignForBroadcast(ctx.tf, values);
    let acc = tensors[0]!;
    for (const t of tensors.slice(1)) acc = f(ctx.tf, acc, t);
    if (finish) acc = finish(ctx.tf, acc, tensors.length);
    return tensorValue(acc, layout, values[0]!.dataType);
  };
}

/** Binary, variadic and comparison ops, by ONNX op type. */
export const BINARY_OPS: Record<string, OpHandler> = {
  Add: binary(
    (tf, a, b) => tf.add(a, b),
    (x, y) => x + y,
  ),
  Sub: binary(
    (tf, a, b) => tf.sub(a, b),
    (x, y) => x - y,
  ),
  Mul: binary(
    (tf, a, b) => tf.mul(a, b),
    (x, y) => x * y,
  ),
  Div: binary(
    (tf, a, b, ints) =>
      ints ? tf.cast(tf.div(tf.cast(a, 'float32'), tf.cast(b, 'float32')), 'int32') : tf.div(a, b),
    (x, y) => x / y,
    truncDiv,
  ),
  Pow: binary(
    (tf, a, b) => tf.pow(a, b),
    (x, y) => x ** y,
  ),
  Equal: binary(
    (tf, a, b) => tf.equal(a, b),
    (x, y) => Number(x === y),
    undefined,
    DataType.BOOL,
  ),
  Greater: binary(
    (tf, a, b) => tf.greater(a, b),
    (x, y) => Number(x > y),
    undefined,
    DataType.BOOL,
  ),
  Less: binary(
    (tf, a, b) => tf.less(a, b),
    (x, y) => Number(x < y),
    undefined,
    DataType.BOOL,
  ),
  GreaterOrEqual: binary(
    (tf, a, b) => tf.greaterEqual(a, b),
    (x, y) => Number(x >= y),
    undefined,
    DataType.BOOL,
  ),
  LessOrEqual: binary(
    (tf, a, b) => tf.lessEqual(a, b),
    (x, y) => Number(x <= y),
    undefined,
    DataType.BOOL,
  ),
  PRelu: binary((tf, x, slope) => tf.add(tf.relu(x), tf.mul(slope, tf.minimum(x, 0)))),
  Sum: variadic((tf, a, b) => tf.add(a, b)),
  Mean: variadic(
    (tf, a, b) => tf.add(a, b),
    (tf, acc, n) => tf.div(acc, n),
  ),
  Max: variadic((tf, a, b) => tf.maximum(a, b)),
  Min: variadic((tf, a, b) => tf.minimum(a, b)),
  Where: (ctx) => {
    const values = [ctx.input(0), ctx.input(1), ctx.input(2)];
    const { tensors, layout } = alignForBroadcast(ctx.tf, values);
    const [c, x, y] = tensors as [tfc.Tensor, tfc.Tensor, tfc.Tensor];
    const shape =
      broadcastShapes(broadcastShapes(c.shape, x.shape) ?? ctx.invalid('inputs do not broadcast'), y.shape) ??
      ctx.invalid('inputs do not broadcast');
    const b = (t: tfc.Tensor) => (t.shape.join() === shape.join() ? t : ctx.tf.broadcastTo(t, shape));
    return tensorValue(ctx.tf.where(ctx.tf.cast(b(c), 'bool'), b(x), b(y)), layout, values[1]!.dataType);
  },
  Not: (ctx) => {
    const v = ctx.input(0);
    return tensorValue(ctx.tf.logicalNot(ctx.tf.cast(ctx.tensor(0), 'bool')), layoutOf(v), DataType.BOOL);
  },
};

const RELU6_LOW = 0;
const RELU6_HIGH = 6;

/**
 * Clip: bounds from attributes (opset < 11) or optional inputs. Constant bounds use one
 * `clipByValue` (`relu6` for [0, 6], the ReLU6 PyTorch exports); tensor bounds use max/min and
 * stay differentiable.
 */
export const clip: OpHandler = (ctx) => {
  const tf = ctx.tf;
  const v = ctx.input(0);
  const x = ctx.tensor(0);
  const layout = layoutOf(v);
  let lo = -Infinity;
  let hi = Infinity;
  if (ctx.opset < 11) {
    lo = attrFloat(ctx.node, 'min', -3.4028234663852886e38);
    hi = attrFloat(ctx.node, 'max', 3.4028234663852886e38);
  } else {
    const boundIsTensor = (i: number) => ctx.has(i) && !ctx.isConst(i);
    if (boundIsTensor(1) || boundIsTensor(2)) {
      let y = x;
      if (ctx.has(1)) y = tf.maximum(y, ctx.tensor(1));
      if (ctx.has(2)) y = tf.minimum(y, ctx.tensor(2));
      return tensorValue(y, layout, v.dataType);
    }
    if (ctx.has(1)) lo = ctx.numbers(1)![0]!;
    if (ctx.has(2)) hi = ctx.numbers(2)![0]!;
  }
  if (lo === RELU6_LOW && hi === RELU6_HIGH && x.dtype === 'float32')
    return tensorValue(tf.relu6(x), layout, v.dataType);
  if (lo > hi) return tensorValue(tf.fill(x.shape, hi, x.dtype), layout, v.dataType);
  const finiteLo = Math.max(lo, -3.4028234663852886e38);
  const finiteHi = Math.min(hi, 3.4028234663852886e38);
  return tensorValue(tf.clipByValue(x, finiteLo, finiteHi), layout, v.dataType);
};
