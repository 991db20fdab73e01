import type * as tfc from '@tensorflow/tfjs-core';
import { attrFloat, attrInt } from '@metacompress/ir';
import { normalizeAxis } from '../host-math';
import type { OpHandler } from '../op-context';
import { tensorValue } from '../runtime-value';

/**
 * ONNX BatchNormalization, channels-last. With running statistics (inference form, and training
 * in `frozen` mode) it is one multiply-add per element: `x·a + b` with `a = scale/√(var+ε)` and
 * `b = B − mean·a`, differentiable in every parameter. In `batch` mode while training it uses the
 * batch's statistics (Ioffe & Szegedy 2015) and records a running-statistics update
 * (PyTorch-style: unbiased batch variance) that the training loop applies after the step.
 */
export const batchNormalization: OpHandler = (ctx) => {
  const tf = ctx.tf;
  if (ctx.node.outputs.slice(1).some(Boolean))
    ctx.unsupported(
      'the running-statistics outputs of training-mode BatchNormalization are not supported',
      'outputs[1]',
    );
  const epsilon = attrFloat(ctx.node, 'epsilon', 1e-5);
  const x = ctx.channelsLast(0);
  const scale = ctx.tensor(1);
  const bias = ctx.tensor(2);
  const channels = ctx.shape(0)[1];
  if (x.rank < 2 || scale.size !== channels)
    ctx.invalid(`scale has ${scale.size} values for ${channels} channels`, 'inputs[1]');
  if (ctx.settings.training && ctx.settings.batchNorm === 'batch') {
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const y = tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), scale), bias);
    const meanName = ctx.inputInitializers[3];
    const varName = ctx.inputInitializers[4];
    if (meanName && varName) {
      const n = x.size / x.shape[x.rank - 1]!;
      ctx.state.batchNormUpdates.push({
        mean: meanName,
        var: varName,
        batchMean: mean as tfc.Tensor1D,
        batchVar: tf.mul(variance, n / Math.max(1, n - 1)) as tfc.Tensor1D,
        momentum: attrFloat(ctx.node, 'momentum', 0.9),
      });
    }
    return tensorValue(y, 'nhwc');
  }
  const a = tf.mul(scale, tf.rsqrt(tf.add(ctx.tensor(4), epsilon)));
  const b = tf.sub(bias, tf.mul(ctx.tensor(3), a));
  return tensorValue(tf.add(tf.mul(x, a), b), 'nhwc');
};

/** ONNX InstanceNormalization: per sample and channel over the spatial dims, channels-last. */
export const instanceNormalization: OpHandler = (ctx) => {
  const tf = ctx.tf;
  const x = ctx.channelsLast(0);
  if (x.rank < 3) ctx.invalid('input needs spatial dims', 'inputs[0]');
  const epsilon = attrFloat(ctx.node, 'epsilon', 1e-5);
  const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 1);
  const { mean, variance } = tf.moments(x, axes, true);
  const y = tf.add(
    tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon))), ctx.tensor(1)),
    ctx.tensor(2),
  );
  return tensorValue(y, 'nhwc');
};

/** ONNX LayerNormalization (opset 17): over the dims from `axis` on, in logical order. */
export const layerNormalization: OpHandler = (ctx) => {
  const tf = ctx.tf;
  if (ctx.node.outputs.slice(1).some(Boolean))
    ctx.unsupported('the Mean/InvStdDev outputs of LayerNormalization are not supported', 'outputs[1]');
  const x = ctx.logical(0);
  const axis =
    normalizeAxis(attrInt(ctx.node, 'axis', -1), x.rank) ??
    ctx.invalid('axis is out of range', 'attribute.axis');
  const epsilon = attrFloat(ctx.node, 'epsilon', 1e-5);
  const axes = Array.from({ length: x.rank - axis }, (_, i) => axis + i);
  const { mean, variance } = tf.moments(x, axes, true);
  let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
  y = tf.mul(y, ctx.logical(1));
  if (ctx.has(2)) y = tf.add(y, ctx.logical(2));
  return tensorValue(y, 'nchw');
};
