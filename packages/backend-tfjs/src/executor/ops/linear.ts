import type * as tfc from '@tensorflow/tfjs-core';
import { attrFloat, attrInt } from '@metacompress/ir';
import type { OpHandler } from '../op-context';
import { storedAs, tensorValue } from '../runtime-value';

/** ONNX Gemm: `alpha·A′·B′ + beta·C` with optional transposes and a broadcast C. */
export const gemm: OpHandler = (ctx) => {
  const tf = ctx.tf;
  const a = ctx.logical(0);
  const bShape = ctx.shape(1);
  if (a.rank !== 2 || bShape.length !== 2)
    ctx.invalid(`A and B must be matrices, got ranks ${a.rank} and ${bShape.length}`, 'inputs[0]');
  const transA = attrInt(ctx.node, 'transA', 0) !== 0;
  const transB = attrInt(ctx.node, 'transB', 0) !== 0;
  const k = transA ? a.shape[0] : a.shape[1];
  const kb = transB ? bShape[1] : bShape[0];
  if (k !== kb) ctx.invalid(`A has ${k} columns but B has ${kb} rows`, 'inputs[1]');
  const alpha = attrFloat(ctx.node, 'alpha', 1);
  const beta = attrFloat(ctx.node, 'beta', 1);
  // tfjs's wasm matMul with transposeB is markedly slower (forward and backward) than a plain
  // one, so transposes are explicit; a transB weight is stored transposed by the executor.
  const lhs = transA ? tf.transpose(a) : a;
  const rhs = transB ? (storedAs(ctx.input(1), [1, 0]) ?? tf.transpose(ctx.logical(1))) : ctx.logical(1);
  let y: tfc.Tensor = tf.matMul(lhs as tfc.Tensor2D, rhs as tfc.Tensor2D);
  if (alpha !== 1) y = tf.mul(y, alpha);
  if (ctx.has(2) && beta !== 0) {
    const c = ctx.logical(2);
    y = tf.add(y, beta === 1 ? c : tf.mul(c, beta));
  }
  return tensorValue(y, 'nchw');
};

/** ONNX MatMul with numpy semantics (1-D operands, broadcast batch dims). */
export const matMul: OpHandler = (ctx) => {
  const tf = ctx.tf;
  let a = ctx.logical(0);
  let b = ctx.logical(1);
  const aVector = a.rank === 1;
  const bVector = b.rank === 1;
  if (aVector) a = tf.expandDims(a, 0);
  if (bVector) b = tf.expandDims(b, 1);
  if (a.shape[a.rank - 1] !== b.shape[b.rank - 2])
    ctx.invalid(`inner dims differ: [${a.shape.join(', ')}] × [${b.shape.join(', ')}]`, 'inputs[1]');
  const rank = Math.max(a.rank, b.rank);
  if (a.rank < rank) a = tf.reshape(a, [...new Array<number>(rank - a.rank).fill(1), ...a.shape]);
  if (b.rank < rank) b = tf.reshape(b, [...new Array<number>(rank - b.rank).fill(1), ...b.shape]);
  let y = tf.matMul(a, b);
  if (aVector) y = tf.squeeze(y, [y.rank - 2]);
  if (bVector) y = tf.squeeze(y, [y.rank - 1]);
  return tensorValue(y, 'nchw');
};
