import type * as tfc from '@tensorflow/tfjs-core';
import { DataType, attrInt, attrInts, attrString } from '@metacompress/ir';
import { dilateFilter } from '../../gradients/conv-gradients';
import type { Tf } from '../layout';
import type { OpContext, OpHandler } from '../op-context';
import { storedAs, tensorValue } from '../runtime-value';
import { windowGeometry, type WindowGeometry } from './geometry';

type Pad2 = [[number, number], [number, number], [number, number], [number, number]];

/** Explicit NHWC padding, or 'valid' when there is none. */
function explicitPad(g: WindowGeometry): 'valid' | Pad2 {
  if (g.begin.every((p) => p === 0) && g.end.every((p) => p === 0)) return 'valid';
  return [
    [0, 0],
    [g.begin[0]!, g.end[0]!],
    [g.begin[1]!, g.end[1]!],
    [0, 0],
  ];
}

/**
 * How tfjs wants an ONNX Conv weight `[M, C/g, k…]`: `[k…, C/g, M]` (the executor stores Conv
 * weights this way).
 *
 * @example
 * convKernelPerm(4); // [2, 3, 1, 0]
 */
export function convKernelPerm(rank: number): number[] {
  return [...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1, 0];
}

/** Lifts 1-D geometry to 2-D (a leading dim of size 1). */
function lift(g: WindowGeometry): WindowGeometry {
  return {
    kernel: [1, ...g.kernel],
    strides: [1, ...g.strides],
    dilations: [1, ...g.dilations],
    begin: [0, ...g.begin],
    end: [0, ...g.end],
  };
}

/** Spatial rank of a conv node from its input (rank 3 → 1-D, rank 4 → 2-D), or unsupported. */
function spatialRank(ctx: OpContext, rank: number): 1 | 2 {
  if (rank === 3) return 1;
  if (rank === 4) return 2;
  return ctx.unsupported(`${rank - 2}-D convolution is not supported (1-D and 2-D are)`, 'inputs[0]');
}

/**
 * A 2-D NHWC convolution with ONNX semantics: any groups (depthwise ones use tfjs's depthwise
 * kernel, others are split and concatenated), dilations together with strides (the filter is
 * dilated with zeros), explicit pads.
 */
function conv2dNhwc(
  tf: Tf,
  x: tfc.Tensor4D,
  kernel: tfc.Tensor4D,
  g: WindowGeometry,
  group: number,
): tfc.Tensor4D {
  // kernel is the ONNX weight [M, C/group, kh, kw] as tfjs wants it: [kh, kw, C/group, M].
  const [, , cPerGroup, m] = kernel.shape;
  let filter = kernel;
  let dilations = g.dilations as [number, number];
  const strides = g.strides as [number, number];
  if (dilations.some((d) => d > 1) && strides.some((s) => s > 1)) {
    filter = dilateFilter(filter, dilations);
    dilations = [1, 1];
  }
  const pad = explicitPad(g);
  const c = x.shape[3];
  if (group === 1) return tf.conv2d(x, filter, strides, pad, 'NHWC', dilations);
  if (group === c && cPerGroup === 1 && m % c === 0) {
    const depthwise = tf.reshape(filter, [filter.shape[0], filter.shape[1], c, m / c]) as tfc.Tensor4D;
    return tf.depthwiseConv2d(x, depthwise, strides, pad, 'NHWC', dilations);
  }
  const xs = tf.split(x, group, 3) as tfc.Tensor4D[];
  const fs = tf.split(filter, group, 3) as tfc.Tensor4D[];
  return tf.concat(
    xs.map((xi, i) => tf.conv2d(xi, fs[i]!, strides, pad, 'NHWC', dilations)),
    3,
  ) as tfc.Tensor4D;
}

/** ONNX Conv (1-D and 2-D; groups incl. depthwise, dilations, pads, strides, auto_pad, bias). Output is channels-last. */
export const conv: OpHandler = (ctx) => {
  const tf = ctx.tf;
  const xShape = ctx.shape(0);
  const wShape = ctx.shape(1);
  const dims = spatialRank(ctx, xShape.length);
  if (wShape.length !== xShape.length)
    ctx.invalid(`weight has rank ${wShape.length}, input has rank ${xShape.length}`, 'inputs[1]');
  const group = attrInt(ctx.node, 'group', 1);
  const c = xShape[1]!;
  if (c !== wShape[1]! * group)
    ctx.invalid(
      `input has ${c} channels but weight expects ${wShape[1]! * group} (group ${group})`,
      'inputs[1]',
    );
  const kernelAttr = attrInts(ctx.node, 'kernel_shape');
  const kernel = wShape.slice(2);
  if (kernelAttr && kernelAttr.join() !== kernel.join())
    ctx.invalid(
      `kernel_shape [${kernelAttr.join(', ')}] disagrees with the weight`,
      'attribute.kernel_shape',
    );
  let geometry = windowGeometry(ctx, xShape.slice(2), kernel);
  let x = ctx.channelsLast(0) as tfc.Tensor4D;
  const perm = convKernelPerm(wShape.length);
  let filter = storedAs(ctx.input(1), perm) ?? tf.transpose(ctx.logical(1), perm);
  if (dims === 1) {
    geometry = lift(geometry);
    x = tf.expandDims(x, 1) as tfc.Tensor4D;
    filter = tf.expandDims(filter, 0);
  }
  let y: tfc.Tensor = conv2dNhwc(tf, x, filter as tfc.Tensor4D, geometry, group);
  if (ctx.has(2)) y = tf.add(y, ctx.tensor(2));
  if (dims === 1) y = tf.squeeze(y, [1]);
  return tensorValue(y, 'nhwc', DataType.FLOAT);
};

/**
 * Begin/end cropping of a transposed convolution's full output, as onnxruntime computes it from
 * `pads`, `auto_pad`, `output_shape` and `output_padding`.
 */
function transposeCrops(
  ctx: OpContext,
  inSpatial: readonly number[],
  g: WindowGeometry,
  outputPadding: readonly number[],
) {
  const k = inSpatial.length;
  const outputShape = attrInts(ctx.node, 'output_shape');
  const autoPad = attrString(ctx.node, 'auto_pad', 'NOTSET');
  const begin = new Array<number>(k).fill(0);
  const end = new Array<number>(k).fill(0);
  for (let i = 0; i < k; i++) {
    const full =
      g.strides[i]! * (inSpatial[i]! - 1) + outputPadding[i]! + (g.kernel[i]! - 1) * g.dilations[i]! + 1;
    let wanted: number | undefined;
    if (outputShape) wanted = outputShape[outputShape.length - k + i]!;
    else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') wanted = inSpatial[i]! * g.strides[i]!;
    if (wanted !== undefined) {
      const total = full - wanted;
      const half = Math.trunc(total / 2);
      if (autoPad === 'SAME_UPPER') {
        begin[i] = half;
        end[i] = total - half;
      } else {
        begin[i] = total - half;
        end[i] = half;
      }
    } else if (autoPad === 'NOTSET') {
      begin[i] = g.begin[i]!;
      end[i] = g.end[i]!;
    }
  }
  return { begin, end };
}

/** ONNX ConvTranspose (1-D and 2-D; groups, dilations, strides, pads, output_padding, output_shape, auto_pad, bias). */
export const convTranspose: OpHandler = (ctx) => {
  const tf = ctx.tf;
  const xShape = ctx.shape(0);
  const w = ctx.logical(1); // [C, M/group, k...]
  const dims = spatialRank(ctx, xShape.length);
  const group = attrInt(ctx.node, 'group', 1);
  const c = xShape[1]!;
  if (w.shape[0] !== c) ctx.invalid(`input has ${c} channels but the weight has ${w.shape[0]}`, 'inputs[1]');
  const kernel = w.shape.slice(2);
  const base = windowGeometry(ctx, xShape.slice(2), kernel, { explicitPadsOnly: true });
  const outputPadding = [...attrInts(ctx.node, 'output_padding', new Array<number>(kernel.length).fill(0))];
  const crops = transposeCrops(ctx, xShape.slice(2), base, outputPadding);
  let geometry: WindowGeometry = base;
  let x = ctx.channelsLast(0) as tfc.Tensor4D;
  let w4 = w as tfc.Tensor4D;
  let padding = outputPadding;
  let begin = crops.begin;
  let end = crops.end;
  if (dims === 1) {
    geometry = lift(base);
    x = tf.expandDims(x, 1) as tfc.Tensor4D;
    w4 = tf.expandDims(w, 2) as tfc.Tensor4D;
    padding = [0, ...outputPadding];
    begin = [0, ...begin];
    end = [0, ...end];
  }
  const [n, h, wd] = x.shape;
  const m = w4.shape[1] * group;
  const full = [0, 1].map(
    (i) =>
      geometry.strides[i]! * ([h, wd][i]! - 1) +
      padding[i]! +
      (geometry.kernel[i]! - 1) * geometry.dilations[i]! +
      1,
  );
  const strides = geometry.strides as [number, number];
  const run = (xi: tfc.Tensor4D, wi: tfc.Tensor4D): tfc.Tensor4D => {
    let filter = tf.transpose(wi, [2, 3, 1, 0]) as tfc.Tensor4D; // [kh, kw, M/group, C/group]
    filter = dilateFilter(filter, geometry.dilations as [number, number]);
    return tf.conv2dTranspose(xi, filter, [n, full[0]!, full[1]!, filter.shape[2]], strides, 'valid');
  };
  let y: tfc.Tensor4D;
  if (group === 1) y = run(x, w4);
  else {
    const xs = tf.split(x, group, 3) as tfc.Tensor4D[];
    const ws = tf.split(w4, group, 0) as tfc.Tensor4D[];
    y = tf.concat(
      xs.map((xi, i) => run(xi, ws[i]!)),
      3,
    ) as tfc.Tensor4D;
  }
  if (begin.some((b) => b < 0) || end.some((e) => e < 0)) {
    y = tf.pad(y, [
      [0, 0],
      [Math.max(0, -begin[0]!), Math.max(0, -end[0]!)],
      [Math.max(0, -begin[1]!), Math.max(0, -end[1]!)],
      [0, 0],
    ]);
    begin = begin.map((b) => Math.max(0, b));
    end = end.map((e) => Math.max(0, e));
  }
  if (begin.some((b) => b > 0) || end.some((e) => e > 0)) {
    y = tf.slice(
      y,
      [0, begin[0]!, begin[1]!, 0],
      [n, y.shape[1] - begin[0]! - end[0]!, y.shape[2] - begin[1]! - end[1]!, m],
    );
  }
  let out: tfc.Tensor = y;
  if (ctx.has(2)) out = tf.add(out, ctx.tensor(2));
  if (dims === 1) out = tf.squeeze(out, [1]);
  return tensorValue(out, 'nhwc', DataType.FLOAT);
};
