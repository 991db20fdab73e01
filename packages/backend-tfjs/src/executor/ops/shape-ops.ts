import type * as tfc from '@tensorflow/tfjs-core';
import {
  DataType,
  attrFloat,
  attrInt,
  attrInts,
  attrString,
  isFloatType,
  toNumbers,
  type Attribute,
} from '@metacompress/ir';
import { channelsLastPerm, invertPerm, permute, physicalAxis } from '../layout';
import { broadcastShapes, hostConcat, hostGather, normalizeAxis } from '../host-math';
import type { OpContext, OpHandler } from '../op-context';
import {
  constValue,
  layoutOf,
  logicalTensor,
  shapeOf,
  tensorIn,
  tensorValue,
  tfDtypeOf,
  type ConstValue,
  type RuntimeValue,
} from '../runtime-value';

const product = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

function axisOf(ctx: OpContext, axis: number, rank: number, field: string): number {
  return normalizeAxis(axis, rank) ?? ctx.invalid(`axis ${axis} is out of range for rank ${rank}`, field);
}

/** Axes from an attribute (older opsets) or an optional input (newer ones). */
function axesOf(ctx: OpContext, inputSince: number, index = 1): number[] | undefined {
  if (ctx.opset >= inputSince) return ctx.has(index) ? ctx.numbers(index)! : undefined;
  const a = attrInts(ctx.node, 'axes');
  return a ? [...a] : undefined;
}

/** Same values, new dims: host constants stay on the host, tensors are reshaped in logical order. */
function reshaped(ctx: OpContext, v: RuntimeValue, dims: number[]): RuntimeValue {
  if (v.kind === 'const') return constValue(v.dataType, dims, v.values);
  return tensorValue(ctx.tf.reshape(logicalTensor(ctx.tf, v), dims), 'nchw', v.dataType);
}

/** ONNX Identity (and the pass-through of Dropout outside training). */
export const identity: OpHandler = (ctx) => ctx.input(0);

/** ONNX Dropout: identity at inference; in training (when enabled) tfjs dropout with a seeded mask. */
export const dropout: OpHandler = (ctx) => {
  if (ctx.node.outputs[1]) ctx.unsupported('the mask output of Dropout is not supported', 'outputs[1]');
  const v = ctx.input(0);
  const ratio =
    ctx.opset >= 12 ? (ctx.has(1) ? ctx.numbers(1)![0]! : 0.5) : attrFloat(ctx.node, 'ratio', 0.5);
  if (!ctx.settings.training || !ctx.settings.dropout || ratio <= 0 || v.kind !== 'tensor') return v;
  return tensorValue(ctx.tf.dropout(v.tensor, ratio, undefined, ctx.state.nextSeed()), v.layout, v.dataType);
};

/** The constant an ONNX Constant node holds. */
export function constantOf(ctx: OpContext): ConstValue {
  for (const [key, a] of Object.entries(ctx.node.attributes) as [string, Attribute][]) {
    if (key === 'value' && a.type === 'tensor')
      return constValue(a.value.dataType, a.value.dims, toNumbers(a.value));
    if (key === 'value_float' && a.type === 'float') return constValue(DataType.FLOAT, [], [a.value]);
    if (key === 'value_floats' && a.type === 'floats')
      return constValue(DataType.FLOAT, [a.value.length], a.value);
    if (key === 'value_int' && a.type === 'int') return constValue(DataType.INT64, [], [a.value]);
    if (key === 'value_ints' && a.type === 'ints')
      return constValue(DataType.INT64, [a.value.length], a.value);
  }
  return ctx.unsupported('only numeric Constant values are supported', 'attribute.value');
}

/** ONNX Constant. */
export const constant: OpHandler = (ctx) => constantOf(ctx);

/** ONNX Shape (with opset-15 start/end): a host constant of the logical shape. */
export const shape: OpHandler = (ctx) => {
  const dims = ctx.shape(0);
  const r = dims.length;
  const clampIdx = (i: number) => Math.min(r, Math.max(0, i < 0 ? i + r : i));
  const start = clampIdx(attrInt(ctx.node, 'start', 0));
  const end = clampIdx(attrInt(ctx.node, 'end', r));
  const values = dims.slice(start, Math.max(start, end));
  return constValue(DataType.INT64, [values.length], values);
};

/** ONNX Size. */
export const size: OpHandler = (ctx) => constValue(DataType.INT64, [], [product(ctx.shape(0))]);

/** ONNX Flatten: logical order, then `[prod(d[:axis]), prod(d[axis:])]`. */
export const flatten: OpHandler = (ctx) => {
  const dims = ctx.shape(0);
  const axis =
    normalizeAxis(attrInt(ctx.node, 'axis', 1), dims.length + 1) ??
    ctx.invalid('axis is out of range', 'attribute.axis');
  return reshaped(ctx, ctx.input(0), [product(dims.slice(0, axis)), product(dims.slice(axis))]);
};

/** ONNX Reshape (0 copies a dim unless allowzero, -1 is inferred). */
export const reshape: OpHandler = (ctx) => {
  const dims = ctx.shape(0);
  const target = ctx.numbers(1) ?? ctx.invalid('the shape input is required', 'inputs[1]');
  const allowZero = attrInt(ctx.node, 'allowzero', 0) !== 0;
  const out = target.map((d, i) =>
    d === 0 && !allowZero
      ? (dims[i] ?? ctx.invalid(`shape copies dim ${i}, which the input lacks`, 'inputs[1]'))
      : d,
  );
  const known = product(out.filter((d) => d !== -1));
  const total = product(dims);
  const inferred = out.indexOf(-1);
  if (inferred >= 0) {
    if (known === 0 || total % known !== 0)
      ctx.invalid(`cannot reshape [${dims.join(', ')}] to [${target.join(', ')}]`, 'inputs[1]');
    out[inferred] = total / known;
  }
  if (product(out) !== total)
    ctx.invalid(`cannot reshape [${dims.join(', ')}] to [${target.join(', ')}]`, 'inputs[1]');
  return reshaped(ctx, ctx.input(0), out);
};

/** ONNX Squeeze (axes from the attribute before opset 13, the input from 13). */
export const squeeze: OpHandler = (ctx) => {
  const dims = ctx.shape(0);
  const axes = axesOf(ctx, 13)?.map((a) => axisOf(ctx, a, dims.length, 'axes'));
  const out = dims.filter((d, i) => (axes ? !axes.includes(i) : d !== 1));
  if (axes?.some((a) => dims[a] !== 1))
    ctx.invalid(`cannot squeeze a dim that is not 1 in [${dims.join(', ')}]`, 'axes');
  return reshaped(ctx, ctx.input(0), out);
};

/** ONNX Unsqueeze (axes from the attribute before opset 13, the input from 13). */
export const unsqueeze: OpHandler = (ctx) => {
  const dims = ctx.shape(0);
  const raw = axesOf(ctx, 13) ?? ctx.invalid('axes are required', 'axes');
  const rank = dims.length + raw.length;
  const axes = raw.map((a) => axisOf(ctx, a, rank, 'axes')).sort((a, b) => a - b);
  const out = [...dims];
  for (const a of axes) out.splice(a, 0, 1);
  return reshaped(ctx, ctx.input(0), out);
};

/** ONNX Transpose: one tfjs transpose composed with the input's layout (none at all when it cancels it). */
export const transpose: OpHandler = (ctx) => {
  const v = ctx.input(0);
  const rank = shapeOf(v).length;
  const perm = [...(attrInts(ctx.node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i))];
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i))
    ctx.invalid(`perm [${perm.join(', ')}] is not a permutation of rank ${rank}`, 'attribute.perm');
  if (v.kind === 'tensor' && v.layout === 'nhwc') {
    const inv = invertPerm(channelsLastPerm(rank));
    return tensorValue(
      permute(
        ctx.tf,
        v.tensor,
        perm.map((p) => inv[p]!),
      ),
      'nchw',
      v.dataType,
    );
  }
  return tensorValue(permute(ctx.tf, logicalTensor(ctx.tf, v), perm), 'nchw', v.dataType);
};

/** ONNX Concat: host constants concatenate on the host; tensors along the axis in their common layout. */
export const concat: OpHandler = (ctx) => {
  const values = ctx.inputs.filter((v): v is RuntimeValue => v !== undefined);
  const rank = shapeOf(values[0]!).length;
  const axis = axisOf(
    ctx,
    attrInt(ctx.node, 'axis') ?? ctx.invalid('axis is required', 'attribute.axis'),
    rank,
    'attribute.axis',
  );
  if (values.every((v) => v.kind === 'const')) {
    const r = hostConcat(values as ConstValue[], axis);
    return constValue(values[0]!.dataType, r.dims, r.values);
  }
  const layout = rank >= 3 && values.some((v) => layoutOf(v) === 'nhwc') ? 'nhwc' : 'nchw';
  const dataType = values.find((v) => v.kind === 'tensor')!.dataType;
  const dtype = tfDtypeOf(dataType);
  const tensors = values.map((v) => {
    const t = tensorIn(ctx.tf, v, layout);
    return t.dtype === dtype ? t : ctx.tf.cast(t, dtype);
  });
  return tensorValue(ctx.tf.concat(tensors, physicalAxis(axis, rank, layout)), layout, dataType);
};

/** ONNX Split (sizes from the attribute before opset 13, the input from 13, or equal parts / num_outputs). */
export const split: OpHandler = (ctx) => {
  const v = ctx.input(0);
  const dims = shapeOf(v);
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', 0), dims.length, 'attribute.axis');
  const count = ctx.node.outputs.length;
  let sizes: number[] | undefined =
    ctx.opset >= 13 ? (ctx.has(1) ? ctx.numbers(1) : undefined) : attrInts(ctx.node, 'split')?.slice();
  if (!sizes) {
    const parts = attrInt(ctx.node, 'num_outputs', count);
    const chunk = Math.ceil(dims[axis]! / parts);
    sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, dims[axis]! - i * chunk)));
  }
  if (sizes.reduce((a, b) => a + b, 0) !== dims[axis])
    ctx.invalid(`split sizes [${sizes.join(', ')}] do not add up to ${dims[axis]}`, 'split');
  const layout = layoutOf(v);
  const t = v.kind === 'tensor' ? v.tensor : logicalTensor(ctx.tf, v);
  return ctx.tf
    .split(t, sizes, physicalAxis(axis, dims.length, layout))
    .map((p) => tensorValue(p, layout, v.dataType));
};

/** Start, stop and step of one sliced axis, clamped as ONNX says. */
function sliceRange(
  dim: number,
  start: number,
  end: number,
  step: number,
): { start: number; count: number; step: number } {
  const norm = (i: number) => (i < 0 ? i + dim : i);
  let s = norm(start);
  let e = norm(end);
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, -1), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  const count = Math.max(0, Math.ceil((e - s) / step));
  return { start: s, count, step };
}

/** ONNX Slice (attributes before opset 10, inputs from 10; negative and >1 steps). */
export const slice: OpHandler = (ctx) => {
  const tf = ctx.tf;
  const v = ctx.input(0);
  const dims = shapeOf(v);
  const rank = dims.length;
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (ctx.opset < 10) {
    starts = [...(attrInts(ctx.node, 'starts') ?? ctx.invalid('starts is required', 'attribute.starts'))];
    ends = [...(attrInts(ctx.node, 'ends') ?? ctx.invalid('ends is required', 'attribute.ends'))];
    axes = attrInts(ctx.node, 'axes')?.slice();
  } else {
    starts = ctx.numbers(1) ?? ctx.invalid('starts is required', 'inputs[1]');
    ends = ctx.numbers(2) ?? ctx.invalid('ends is required', 'inputs[2]');
    axes = ctx.has(3) ? ctx.numbers(3) : undefined;
    steps = ctx.has(4) ? ctx.numbers(4) : undefined;
  }
  const ranges = dims.map((d) => ({ start: 0, count: d, step: 1 }));
  starts.forEach((s, i) => {
    const axis = axisOf(ctx, axes ? axes[i]! : i, rank, 'axes');
    const step = steps ? steps[i]! : 1;
    if (step === 0) ctx.invalid('a step is 0', 'steps');
    ranges[axis] = sliceRange(dims[axis]!, s, ends[i]!, step);
  });
  if (v.kind === 'const' && rank <= 1) {
    const r = ranges[0] ?? { start: 0, count: 1, step: 1 };
    const out = Array.from({ length: r.count }, (_, i) => v.values[r.start + i * r.step]!);
    return constValue(v.dataType, rank === 0 ? [] : [out.length], out);
  }
  const layout = layoutOf(v);
  let t = v.kind === 'tensor' ? v.tensor : logicalTensor(tf, v);
  const begin = new Array<number>(rank).fill(0);
  const sizes = [...t.shape];
  const gathers: { axis: number; indices: number[] }[] = [];
  ranges.forEach((r, axis) => {
    const p = physicalAxis(axis, rank, layout);
    if (r.step === 1) {
      begin[p] = r.start;
      sizes[p] = r.count;
    } else {
      gathers.push({ axis: p, indices: Array.from({ length: r.count }, (_, i) => r.start + i * r.step) });
    }
  });
  if (begin.some((b, i) => b !== 0 || sizes[i] !== t.shape[i])) t = tf.slice(t, begin, sizes);
  for (const g of gathers) t = tf.gather(t, tf.tensor1d(g.indices, 'int32'), g.axis);
  return tensorValue(t, layout, v.dataType);
};

/** Indices of a padded axis for the non-constant Pad modes. */
function padIndices(dim: number, before: number, after: number, mode: string): number[] {
  const out: number[] = [];
  for (let i = -before; i < dim + after; i++) {
    let j = i;
    if (mode === 'edge') j = Math.min(Math.max(i, 0), dim - 1);
    else if (mode === 'wrap') j = ((i % dim) + dim) % dim;
    else {
      const period = 2 * (dim - 1);
      j = dim === 1 ? 0 : ((i % period) + period) % period;
      if (j >= dim) j = period - j;
    }
    out.push(j);
  }
  return out;
}

/** ONNX Pad (constant, reflect, edge, wrap; negative pads crop; opset-18 axes). Keeps the layout. */
export const pad: OpHandler = (ctx) => {
  const tf = ctx.tf;
  const v = ctx.input(0);
  const dims = shapeOf(v);
  const rank = dims.length;
  const mode = attrString(ctx.node, 'mode', 'constant');
  let pads: number[];
  let value = 0;
  let axes = Array.from({ length: rank }, (_, i) => i);
  if (ctx.opset < 11) {
    pads = [...(attrInts(ctx.node, 'pads') ?? ctx.invalid('pads is required', 'attribute.pads'))];
    value = attrFloat(ctx.node, 'value', 0);
  } else {
    pads = ctx.numbers(1) ?? ctx.invalid('pads is required', 'inputs[1]');
    if (ctx.has(2)) value = ctx.numbers(2)![0] ?? 0;
    if (ctx.has(3)) axes = ctx.numbers(3)!.map((a) => axisOf(ctx, a, rank, 'inputs[3]'));
  }
  if (pads.length !== 2 * axes.length)
    ctx.invalid(`pads has ${pads.length} values for ${axes.length} axes`, 'pads');
  const layout = layoutOf(v);
  let t = v.kind === 'tensor' ? v.tensor : logicalTensor(tf, v);
  const before = new Array<number>(rank).fill(0);
  const after = new Array<number>(rank).fill(0);
  axes.forEach((a, i) => {
    const p = physicalAxis(a, rank, layout);
    before[p] = pads[i]!;
    after[p] = pads[i + axes.length]!;
  });
  if (mode === 'constant') {
    if (before.some((b) => b > 0) || after.some((a) => a > 0)) {
      t = tf.pad(
        t,
        before.map((b, i) => [Math.max(0, b), Math.max(0, after[i]!)] as [number, number]),
        value,
      );
    }
  } else if (mode === 'reflect' || mode === 'edge' || mode === 'wrap') {
    for (let p = 0; p < rank; p++) {
      const b = Math.max(0, before[p]!);
      const a = Math.max(0, after[p]!);
      if (b === 0 && a === 0) continue;
      if (mode === 'reflect' && t.shape[p]! < 2)
        ctx.invalid('reflect padding needs at least 2 elements along a padded axis', 'attribute.mode');
      t = tf.gather(t, tf.tensor1d(padIndices(t.shape[p]!, b, a, mode), 'int32'), p);
    }
  } else {
    ctx.unsupported(`Pad mode '${mode}' is not supported`, 'attribute.mode');
  }
  if (before.some((b) => b < 0) || after.some((a) => a < 0)) {
    const begin = before.map((b) => Math.max(0, -b));
    const size = t.shape.map((d, i) => d - begin[i]! - Math.max(0, -after[i]!));
    t = tf.slice(t, begin, size);
  }
  return tensorValue(t, layout, v.dataType);
};

/** ONNX Gather: on the host for constants, tfjs gather otherwise (keeping the layout for 1-D indices). */
export const gather: OpHandler = (ctx) => {
  const tf = ctx.tf;
  const data = ctx.input(0);
  const indices = ctx.input(1);
  const dims = shapeOf(data);
  const axis = axisOf(ctx, attrInt(ctx.node, 'axis', 0), dims.length, 'attribute.axis');
  const d = dims[axis]!;
  if (data.kind === 'const' && indices.kind === 'const') {
    const r = hostGather(data.dims, data.values, indices.dims, indices.values, axis);
    return constValue(data.dataType, r.dims, r.values);
  }
  const indexDims = shapeOf(indices);
  let idx: tfc.Tensor;
  if (indices.kind === 'const') {
    const list = Array.from(indices.values, (k) => (k < 0 ? k + d : k));
    if (list.some((k) => k < 0 || k >= d)) ctx.invalid(`an index is outside [${-d}, ${d})`, 'inputs[1]');
    idx = tf.tensor(list, indexDims, 'int32');
  } else {
    const raw = logicalTensor(tf, indices);
    const ints = raw.dtype === 'int32' ? raw : tf.cast(raw, 'int32');
    idx = tf.where(tf.less(ints, 0), tf.add(ints, d), ints);
  }
  if (indexDims.length === 1 && data.kind === 'tensor') {
    const p = physicalAxis(axis, dims.length, data.layout);
    return tensorValue(tf.gather(data.tensor, idx, p), data.layout, data.dataType);
  }
  return tensorValue(tf.gather(logicalTensor(tf, data), idx, axis), 'nchw', data.dataType);
};

/** ONNX Cast (to float, int or bool types; float → int truncates). */
export const cast: OpHandler = (ctx) => {
  const v = ctx.input(0);
  const to = attrInt(ctx.node, 'to') ?? ctx.invalid('to is required', 'attribute.to');
  const dtype = tfDtypeOf(to);
  if (v.kind === 'const') {
    const values = Array.from(v.values, (x) =>
      dtype === 'int32'
        ? Math.trunc(x)
        : dtype === 'bool'
          ? Number(x !== 0)
          : to === DataType.FLOAT16 || isFloatType(to)
            ? Math.fround(x)
            : x,
    );
    return constValue(to, v.dims, values);
  }
  const t = v.kind === 'tensor' ? v.tensor : logicalTensor(ctx.tf, v);
  const layout = layoutOf(v);
  return tensorValue(t.dtype === dtype ? t : ctx.tf.cast(t, dtype), layout, to);
};

/** ONNX Expand (bidirectional broadcast to a shape). */
export const expand: OpHandler = (ctx) => {
  const v = ctx.input(0);
  const target = ctx.numbers(1) ?? ctx.invalid('shape is required', 'inputs[1]');
  const out =
    broadcastShapes(shapeOf(v), target) ??
    ctx.invalid(`cannot expand [${shapeOf(v).join(', ')}] to [${target.join(', ')}]`, 'inputs[1]');
  const t = logicalTensor(ctx.tf, v);
  return tensorValue(
    ctx.tf.broadcastTo(
      t.rank < out.length
        ? ctx.tf.reshape(t, [...new Array<number>(out.length - t.rank).fill(1), ...t.shape])
        : t,
      out,
    ),
    'nchw',
    v.dataType,
  );
};

/** ONNX Tile. */
export const tile: OpHandler = (ctx) => {
  const v = ctx.input(0);
  const repeats = ctx.numbers(1) ?? ctx.invalid('repeats is required', 'inputs[1]');
  return tensorValue(ctx.tf.tile(logicalTensor(ctx.tf, v), repeats), 'nchw', v.dataType);
};

/** ONNX ConstantOfShape (a host constant when small, a filled tensor otherwise). */
export const constantOfShape: OpHandler = (ctx) => {
  const dims = ctx.numbers(0) ?? ctx.invalid('shape is required', 'inputs[0]');
  const a = ctx.node.attributes.value;
  const dataType = a?.type === 'tensor' ? a.value.dataType : DataType.FLOAT;
  const value = a?.type === 'tensor' ? (toNumbers(a.value)[0] ?? 0) : 0;
  const n = product(dims);
  if (n <= 4096) return constValue(dataType, dims, new Array<number>(n).fill(value));
  return tensorValue(ctx.tf.fill(dims, value, tfDtypeOf(dataType)), 'nchw', dataType);
};

/** ONNX Range (on the host). */
export const range: OpHandler = (ctx) => {
  const [start, limit, delta] = [0, 1, 2].map(
    (i) => ctx.numbers(i)?.[0] ?? ctx.invalid(`input ${i} is required`, `inputs[${i}]`),
  ) as [number, number, number];
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  return constValue(
    ctx.input(0).dataType,
    [n],
    Array.from({ length: n }, (_, i) => start + i * delta),
  );
};
