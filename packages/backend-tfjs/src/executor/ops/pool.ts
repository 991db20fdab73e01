import type * as tfc from '@tensorflow/tfjs-core';
import { attrFloat, attrInt, attrInts } from '@metacompress/ir';
import type { OpContext, OpHandler } from '../op-context';
import { tensorValue } from '../runtime-value';
import { windowGeometry, type WindowGeometry } from './geometry';

/** Lowest finite float32: the padding value of max pooling (never wins against a real element). */
const LOWEST = -3.4028234663852886e38;

/** Output size and the padding a pool needs, with onnxruntime's ceil-mode rule (a window starting in the end padding is dropped). */
export function poolOutput(
  size: number,
  k: number,
  s: number,
  d: number,
  begin: number,
  end: number,
  ceil: boolean,
): { out: number; extra: number } {
  const span = (size + begin + end - ((k - 1) * d + 1)) / s;
  let out = (ceil ? Math.ceil(span) : Math.floor(span)) + 1;
  if (ceil && (out - 1) * s >= size + begin) out -= 1;
  out = Math.max(out, 0);
  const extra = Math.max(0, (out - 1) * s + (k - 1) * d + 1 - (size + begin + end));
  return { out, extra };
}

interface PoolPlan {
  geometry: WindowGeometry;
  /** Per spatial dim: output size and the extra end padding ceil mode needs. */
  outs: { out: number; extra: number }[];
  spatial: number[];
  /** True when the input was 1-D (rank 3) and got a leading spatial dim of 1. */
  lifted: boolean;
}

function plan(ctx: OpContext): PoolPlan {
  const shape = ctx.shape(0);
  const rank = shape.length;
  if (rank !== 3 && rank !== 4)
    ctx.unsupported(`${rank - 2}-D pooling is not supported (1-D and 2-D are)`, 'inputs[0]');
  const kernel =
    attrInts(ctx.node, 'kernel_shape') ?? ctx.invalid('kernel_shape is required', 'attribute.kernel_shape');
  const spatial = shape.slice(2);
  if (kernel.length !== spatial.length)
    ctx.invalid(
      `kernel_shape has ${kernel.length} dims, input has ${spatial.length} spatial dims`,
      'attribute.kernel_shape',
    );
  const geometry = windowGeometry(ctx, spatial, kernel);
  if (geometry.dilations.some((d) => d !== 1))
    ctx.unsupported('dilated pooling is not supported', 'attribute.dilations');
  const ceil = attrInt(ctx.node, 'ceil_mode', 0) !== 0;
  const outs = spatial.map((n, i) =>
    poolOutput(n, geometry.kernel[i]!, geometry.strides[i]!, 1, geometry.begin[i]!, geometry.end[i]!, ceil),
  );
  if (rank === 4) return { geometry, outs, spatial, lifted: false };
  return {
    geometry: {
      kernel: [1, ...geometry.kernel],
      strides: [1, ...geometry.strides],
      dilations: [1, 1],
      begin: [0, ...geometry.begin],
      end: [0, ...geometry.end],
    },
    outs: [{ out: 1, extra: 0 }, ...outs],
    spatial: [1, ...spatial],
    lifted: true,
  };
}

/** The NHWC input padded for a valid pooling that yields exactly the ONNX output. */
function padded(ctx: OpContext, p: PoolPlan, value: number): tfc.Tensor4D {
  const tf = ctx.tf;
  let x = ctx.channelsLast(0);
  if (p.lifted) x = tf.expandDims(x, 1);
  const g = p.geometry;
  const pads = [0, 1].map((i) => [g.begin[i]!, g.end[i]! + p.outs[i]!.extra] as [number, number]);
  if (pads.every(([a, b]) => a === 0 && b === 0)) return x as tfc.Tensor4D;
  return tf.pad(x, [[0, 0], pads[0]!, pads[1]!, [0, 0]], value) as tfc.Tensor4D;
}

function finish(ctx: OpContext, y: tfc.Tensor, p: PoolPlan) {
  return tensorValue(p.lifted ? ctx.tf.squeeze(y, [1]) : y, 'nhwc');
}

/** ONNX MaxPool (1-D/2-D; pads, strides, auto_pad, ceil_mode). The Indices output is not supported. */
export const maxPool: OpHandler = (ctx) => {
  if (ctx.node.outputs[1]) ctx.unsupported('the Indices output of MaxPool is not supported', 'outputs[1]');
  const p = plan(ctx);
  const x = padded(ctx, p, LOWEST);
  const g = p.geometry;
  const y = ctx.tf.maxPool(x, g.kernel as [number, number], g.strides as [number, number], 'valid');
  return finish(ctx, y, p);
};

/**
 * ONNX AveragePool (1-D/2-D; pads, strides, auto_pad, ceil_mode, count_include_pad). Windows are
 * divided as onnxruntime does: by the window clipped to input plus pads (count_include_pad=1), or
 * to the input alone (0); the ceil-mode overhang never counts.
 */
export const averagePool: OpHandler = (ctx) => {
  const tf = ctx.tf;
  const p = plan(ctx);
  const g = p.geometry;
  const includePad = attrInt(ctx.node, 'count_include_pad', 0) !== 0;
  const x = padded(ctx, p, 0);
  const y = tf.avgPool(x, g.kernel as [number, number], g.strides as [number, number], 'valid');
  const sizes = [0, 1].map((i) => {
    const counts: number[] = [];
    const size = p.spatial[i]!;
    for (let o = 0; o < p.outs[i]!.out; o++) {
      const start = o * g.strides[i]! - g.begin[i]!;
      const stop = Math.min(start + g.kernel[i]!, size + g.end[i]!);
      counts.push(includePad ? stop - start : Math.min(stop, size) - Math.max(start, 0));
    }
    return counts;
  });
  const full = g.kernel[0]! * g.kernel[1]!;
  if (sizes[0]!.every((a) => sizes[1]!.every((b) => a * b === full))) return finish(ctx, y, p);
  const scale = new Float32Array(sizes[0]!.length * sizes[1]!.length);
  sizes[0]!.forEach((a, i) =>
    sizes[1]!.forEach((b, j) => (scale[i * sizes[1]!.length + j] = full / (a * b))),
  );
  const factor = tf.tensor4d(scale, [1, sizes[0]!.length, sizes[1]!.length, 1]);
  return finish(ctx, tf.mul(y, factor), p);
};

/** ONNX GlobalAveragePool: mean over the spatial dims, channels-last. */
export const globalAveragePool: OpHandler = (ctx) => {
  const x = ctx.channelsLast(0);
  const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 1);
  return tensorValue(ctx.tf.mean(x, axes, true), 'nhwc');
};

/** ONNX GlobalMaxPool: max over the spatial dims, channels-last. */
export const globalMaxPool: OpHandler = (ctx) => {
  const x = ctx.channelsLast(0);
  const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 1);
  return tensorValue(ctx.tf.max(x, axes, true), 'nhwc');
};

/** ONNX LRN (odd `size`): tfjs's local response normalization over channels, channels-last. */
export const lrn: OpHandler = (ctx) => {
  const size = attrInt(ctx.node, 'size') ?? ctx.invalid('size is required', 'attribute.size');
  if (size % 2 === 0) ctx.unsupported('LRN with an even size is not supported', 'attribute.size');
  const x = ctx.channelsLast(0);
  if (x.rank !== 4) ctx.unsupported(`LRN of a rank-${x.rank} input is not supported`, 'inputs[0]');
  const alpha = attrFloat(ctx.node, 'alpha', 0.0001);
  const beta = attrFloat(ctx.node, 'beta', 0.75);
  const bias = attrFloat(ctx.node, 'bias', 1);
  return tensorValue(
    ctx.tf.localResponseNormalization(x as tfc.Tensor4D, (size - 1) / 2, bias, alpha / size, beta),
    'nhwc',
  );
};
