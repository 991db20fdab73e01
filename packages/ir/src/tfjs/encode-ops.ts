import { ErrorCodes } from '@metacompress/core';
import { attrFloat, attrInt, attrInts, attrString } from '../attributes';
import type { Dim, Node } from '../graph';
import { toFloat32, toNumbers, type Tensor } from '../tensor';
import {
  canonicalRelation,
  type EncodeContext,
  type EncodedValue,
  type KerasRelation,
  sameKerasRelation,
} from './encode-context';
import {
  composePerm,
  identityPerm,
  inversePerm,
  isPermutation,
  NHWC_FROM_NCHW,
  permuteRows,
  transposeData,
} from './layout';

/** Encodes one IR node as Keras layers, recording what its outputs became. */
export type OpEncoder = (ctx: EncodeContext, node: Node) => void;

const NHWC: KerasRelation = { kind: 'perm', perm: [...NHWC_FROM_NCHW] };

function rankOf(ctx: EncodeContext, node: Node, name: string): number {
  const s = ctx.shape(name);
  if (!s)
    throw ctx.error(
      ErrorCodes.SHAPE_MISMATCH,
      `the rank of '${name}' is unknown (shape inference could not tell)`,
      node,
    );
  return s.length;
}

function staticDims(ctx: EncodeContext, node: Node, name: string, from = 1): number[] {
  const s = ctx.shape(name);
  const dims = s?.slice(from);
  if (!dims || !dims.every((d): d is number => typeof d === 'number')) {
    throw ctx.error(
      ErrorCodes.SHAPE_MISMATCH,
      `needs the static shape of '${name}', inferred [${s?.map((d) => d ?? '?').join(', ') ?? 'unknown'}]`,
      node,
    );
  }
  return dims;
}

function constInput(ctx: EncodeContext, node: Node, index: number, what: string): Tensor {
  const t = ctx.constant(node.inputs[index]);
  if (!t) throw ctx.unsupported(node, `with a non-constant ${what} (input ${index})`, `input ${index}`);
  return t;
}

/** Scalar value of a constant input or undefined when absent. */
function optionalScalar(ctx: EncodeContext, node: Node, index: number, what: string): number | undefined {
  if (!node.inputs[index]) return undefined;
  const t = constInput(ctx, node, index, what);
  const v = toNumbers(t);
  if (v.length !== 1) throw ctx.unsupported(node, `with a non-scalar ${what}`, `input ${index}`);
  return Number(v[0]);
}

function alias(ctx: EncodeContext, node: Node, v: EncodedValue, output = 0): void {
  ctx.values.set(node.outputs[output], v);
}

function onlyFirstOutput(ctx: EncodeContext, node: Node): void {
  if (node.outputs.slice(1).some((o) => o && (ctx.consumers.has(o) || ctx.graphOutputs.has(o)))) {
    throw ctx.unsupported(node, 'with more than one used output');
  }
}

// ---------------------------------------------------------------- padding

/** TF SAME padding `[top, left, bottom, right]` for known spatial dims. */
function samePads(
  h: number,
  w: number,
  k: readonly number[],
  s: readonly number[],
  d: readonly number[],
): number[] {
  const one = (n: number, i: number): [number, number] => {
    const out = Math.ceil(n / s[i]);
    const total = Math.max((out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [t, b] = one(h, 0);
  const [l, r] = one(w, 1);
  return [t, l, b, r];
}

/** Padding of a 2-D window op as Keras sees it: 'same', 'valid', or explicit pads that need a ZeroPadding2D. */
function windowPadding(
  ctx: EncodeContext,
  node: Node,
  k: readonly number[],
  s: readonly number[],
  d: readonly number[],
): { padding: 'same' | 'valid'; pads?: number[] } {
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (autoPad === 'SAME_UPPER') return { padding: 'same' };
  if (autoPad === 'VALID') return { padding: 'valid' };
  const shape = ctx.shape(node.inputs[0]);
  const h = shape?.[2];
  const w = shape?.[3];
  const known = typeof h === 'number' && typeof w === 'number';
  let pads: readonly number[];
  if (autoPad === 'SAME_LOWER') {
    if (!known) throw ctx.unsupported(node, 'with SAME_LOWER padding on unknown spatial dims', 'auto_pad');
    const [t, l, b, r] = samePads(h, w, k, s, d);
    pads = [b, r, t, l];
  } else pads = attrInts(node, 'pads', [0, 0, 0, 0]);
  if (pads.length !== 4) throw ctx.unsupported(node, `with pads [${pads.join(', ')}] (2-D only)`, 'pads');
  if (pads.every((p) => p === 0)) return { padding: 'valid' };
  if (known && samePads(h, w, k, s, d).every((p, i) => p === pads[i])) return { padding: 'same' };
  return { padding: 'valid', pads: [...pads] };
}

function zeroPad(ctx: EncodeContext, input: string, base: string, pads: readonly number[]): string {
  return ctx.layer(
    'ZeroPadding2D',
    `${base}_pad`,
    {
      padding: [
        [pads[0], pads[2]],
        [pads[1], pads[3]],
      ],
      data_format: 'channels_last',
    },
    [input],
  );
}

function pair(ctx: EncodeContext, node: Node, name: string, fallback: number): number[] {
  const v = attrInts(node, name, [fallback, fallback]);
  if (v.length !== 2) throw ctx.unsupported(node, `with ${name} [${v.join(', ')}] (2-D only)`, name);
  return [...v];
}

// ---------------------------------------------------------------- ops

/** Keras name of an activation node, when it maps to one of the activations TF.js fuses into Conv2D / Dense. */
function fusableActivation(ctx: EncodeContext, node: Node): string | undefined {
  switch (node.opType) {
    case 'Relu':
      return 'relu';
    case 'Sigmoid':
      return 'sigmoid';
    case 'Tanh':
      return 'tanh';
    case 'Elu':
      return Math.abs(attrFloat(node, 'alpha', 1) - 1) < 1e-7 ? 'elu' : undefined;
    case 'Clip': {
      const bound = (i: number, attr: string): number | undefined | null => {
        if (node.inputs.length > 1) {
          if (!node.inputs[i]) return undefined;
          const t = ctx.constant(node.inputs[i]);
          const v = t ? toNumbers(t) : undefined;
          return v && v.length === 1 ? Number(v[0]) : null;
        }
        return attrFloat(node, attr);
      };
      const min = bound(1, 'min');
      const max = bound(2, 'max');
      if (min !== 0) return undefined;
      if (max === 6) return 'relu6';
      return max === undefined || max === Infinity ? 'relu' : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * The activation node that alone reads `value` and can ride in the producing layer's `activation`
 * (TF.js then runs a fused kernel); marks it absorbed.
 */
function takeActivation(ctx: EncodeContext, value: string): { activation: string; node?: Node } {
  const users = ctx.consumers.get(value) ?? [];
  if (users.length !== 1 || ctx.graphOutputs.has(value) || users[0].inputs[0] !== value)
    return { activation: 'linear' };
  const activation = fusableActivation(ctx, users[0]);
  if (!activation) return { activation: 'linear' };
  ctx.absorbed.add(users[0]);
  return { activation, node: users[0] };
}

function conv(ctx: EncodeContext, node: Node): void {
  const x = ctx.input(node, 0);
  const w = constInput(ctx, node, 1, 'weight');
  if (w.dims.length !== 4)
    throw ctx.unsupported(node, `with a rank-${w.dims.length} weight (Conv2D only)`, 'input 1');
  const [o, ig, kh, kw] = w.dims;
  const k = attrInts(node, 'kernel_shape', [kh, kw]);
  const s = pair(ctx, node, 'strides', 1);
  const d = pair(ctx, node, 'dilations', 1);
  if (k[0] !== kh || k[1] !== kw)
    throw ctx.error(
      ErrorCodes.SHAPE_MISMATCH,
      `kernel_shape [${k.join(', ')}] disagrees with the weight`,
      node,
      'kernel_shape',
    );
  if (s.some((v) => v > 1) && d.some((v) => v > 1))
    throw ctx.unsupported(node, 'with strides > 1 and dilations > 1 together (TF.js cannot)', 'dilations');
  const group = attrInt(node, 'group', 1);
  const cin = ig * group;
  const pad = windowPadding(ctx, node, [kh, kw], s, d);
  const base = node.name || node.outputs[0];
  let input = ctx.kerasAs(x, NHWC, node, 4);
  if (pad.pads) input = zeroPad(ctx, input, base, pad.pads);
  const values = toFloat32(w);
  const bias = node.inputs[2] ? toFloat32(constInput(ctx, node, 2, 'bias')) : undefined;
  if (bias && bias.length !== o)
    throw ctx.error(
      ErrorCodes.SHAPE_MISMATCH,
      `bias has ${bias.length} values for ${o} output channels`,
      node,
      'input 2',
    );
  const act = takeActivation(ctx, node.outputs[0]);
  const common = {
    kernel_size: [kh, kw],
    strides: s,
    padding: pad.padding,
    data_format: 'channels_last',
    dilation_rate: d,
    activation: act.activation,
    use_bias: !!bias,
  };
  let name: string;
  if (group === 1) {
    name = ctx.layer('Conv2D', base, { filters: o, ...common }, [input]);
    ctx.weight(name, 'kernel', [kh, kw, ig, o], transposeData(values, w.dims, [2, 3, 1, 0]));
  } else if (ig === 1 && o % group === 0) {
    const m = o / group;
    name = ctx.layer('DepthwiseConv2D', base, { depth_multiplier: m, ...common }, [input]);
    ctx.weight(
      name,
      'depthwise_kernel',
      [kh, kw, cin, m],
      transposeData(values, [cin, m, kh, kw], [2, 3, 0, 1]),
    );
  } else {
    throw ctx.unsupported(node, `with group ${group} (neither 1 nor depthwise)`, 'group');
  }
  if (bias) ctx.weight(name, 'bias', [o], bias);
  alias(ctx, node, { keras: name, rel: NHWC });
  if (act.node) alias(ctx, act.node, { keras: name, rel: NHWC });
}

/** Values of a bias constant broadcast to `n` (shapes [], [1], [n], [1, n]). */
function biasValues(ctx: EncodeContext, node: Node, t: Tensor, n: number, scale = 1): Float32Array {
  const v = toFloat32(t);
  const okShape = t.dims.length <= 1 || (t.dims.length === 2 && t.dims[0] === 1);
  if (!okShape || (v.length !== n && v.length !== 1))
    throw ctx.unsupported(node, `with a bias of shape [${t.dims.join(', ')}] (per-output bias only)`, 'bias');
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (v.length === 1 ? v[0] : v[i]) * scale;
  return out;
}

/** Writes a Dense layer for `x · kernel (+ bias)`; `kernel` is `[K, N]` in IR column order. */
function denseLayer(
  ctx: EncodeContext,
  node: Node,
  x: EncodedValue,
  irRank: number,
  kernel: Float32Array,
  k: number,
  n: number,
  bias: Float32Array | undefined,
  output: string,
): string {
  let input: string;
  let values = kernel;
  if (x.rel.kind === 'flat') {
    // Keras column c is IR column map[c]: Keras kernel row c is IR row map[c].
    values = permuteRows(kernel, n, ctx.columnMap(x.rel));
    input = x.keras;
  } else input = ctx.kerasAs(x, { kind: 'perm', perm: identityPerm(irRank) }, node, irRank);
  const act = takeActivation(ctx, output);
  const name = ctx.layer(
    'Dense',
    node.name || node.outputs[0],
    { units: n, activation: act.activation, use_bias: !!bias },
    [input],
  );
  ctx.weight(name, 'kernel', [k, n], values);
  if (bias) ctx.weight(name, 'bias', [n], bias);
  const rel: KerasRelation = { kind: 'perm', perm: identityPerm(irRank) };
  ctx.values.set(output, { keras: name, rel });
  if (act.node) ctx.values.set(act.node.outputs[0], { keras: name, rel });
  return name;
}

function gemm(ctx: EncodeContext, node: Node): void {
  const x = ctx.input(node, 0);
  if (attrInt(node, 'transA', 0) !== 0) throw ctx.unsupported(node, 'with transA = 1', 'transA');
  const b = constInput(ctx, node, 1, 'weight B');
  if (b.dims.length !== 2) throw ctx.unsupported(node, 'with a weight B that is not 2-D', 'input 1');
  const transB = attrInt(node, 'transB', 0) !== 0;
  const alpha = attrFloat(node, 'alpha', 1);
  const beta = attrFloat(node, 'beta', 1);
  let kernel = toFloat32(b);
  const [k, n] = transB ? [b.dims[1], b.dims[0]] : [b.dims[0], b.dims[1]];
  if (transB) kernel = transposeData(kernel, b.dims, [1, 0]);
  if (alpha !== 1) kernel = kernel.map((v) => v * alpha);
  const bias = node.inputs[2]
    ? biasValues(ctx, node, constInput(ctx, node, 2, 'bias C'), n, beta)
    : undefined;
  denseLayer(ctx, node, x, 2, kernel, k, n, bias, node.outputs[0]);
}

function matmul(ctx: EncodeContext, node: Node): void {
  const x = ctx.input(node, 0);
  const b = constInput(ctx, node, 1, 'weight B');
  if (b.dims.length !== 2) throw ctx.unsupported(node, 'with a weight that is not 2-D', 'input 1');
  const rank = rankOf(ctx, node, node.inputs[0]);
  if (rank < 2) throw ctx.unsupported(node, 'with a rank-1 input', 'input 0');
  const [k, n] = b.dims;
  // Fuse a following bias Add (MatMul + Add is how Dense often reaches ONNX).
  let bias: Float32Array | undefined;
  let outNode: Node = node;
  const users = ctx.consumers.get(node.outputs[0]) ?? [];
  const add =
    users.length === 1 && users[0].opType === 'Add' && !ctx.graphOutputs.has(node.outputs[0])
      ? users[0]
      : undefined;
  if (add) {
    const other = add.inputs[0] === node.outputs[0] ? add.inputs[1] : add.inputs[0];
    const c = ctx.constant(other);
    if (
      c &&
      add.inputs.length === 2 &&
      (c.dims.length === 1 || (c.dims.length === 2 && c.dims[0] === 1)) &&
      toFloat32(c).length === n
    ) {
      bias = toFloat32(c);
      ctx.absorbed.add(add);
      outNode = add;
    }
  }
  denseLayer(ctx, node, x, rank, toFloat32(b), k, n, bias, outNode.outputs[0]);
}

function batchNorm(ctx: EncodeContext, node: Node): void {
  onlyFirstOutput(ctx, node);
  if (attrInt(node, 'training_mode', 0) !== 0)
    throw ctx.unsupported(node, 'in training mode', 'training_mode');
  const x = ctx.input(node, 0);
  const rank = rankOf(ctx, node, node.inputs[0]);
  let params = [1, 2, 3, 4].map((i) =>
    toFloat32(constInput(ctx, node, i, ['scale', 'bias', 'mean', 'var'][i - 1])),
  );
  const c = params[0].length;
  let axis: number;
  let input = x.keras;
  let rel = x.rel;
  if (x.rel.kind === 'flat') {
    const map = ctx.columnMap(x.rel);
    params = params.map((p) => permuteRows(p, 1, map));
    axis = 1;
  } else if (x.rel.kind === 'squeezed') {
    axis = 1;
  } else {
    if (rank === 4 && x.rel.perm.indexOf(1) !== 3) {
      input = ctx.kerasAs(x, NHWC, node, 4);
      rel = NHWC;
    }
    axis = (rel as { perm: number[] }).perm.indexOf(1);
  }
  const name = ctx.layer(
    'BatchNormalization',
    node.name || node.outputs[0],
    {
      axis: axis === rank - 1 && rel.kind === 'perm' ? -1 : axis,
      epsilon: attrFloat(node, 'epsilon', 1e-5),
      momentum: 0.99,
      center: true,
      scale: true,
    },
    [input],
  );
  ['gamma', 'beta', 'moving_mean', 'moving_variance'].forEach((p, i) => ctx.weight(name, p, [c], params[i]));
  alias(ctx, node, { keras: name, rel });
}

function pool(className: 'MaxPooling2D' | 'AveragePooling2D'): (ctx: EncodeContext, node: Node) => void {
  return (ctx, node) => {
    onlyFirstOutput(ctx, node);
    const x = ctx.input(node, 0);
    const k = attrInts(node, 'kernel_shape');
    if (!k || k.length !== 2) throw ctx.unsupported(node, 'that is not 2-D', 'kernel_shape');
    const s = pair(ctx, node, 'strides', 1);
    if (pair(ctx, node, 'dilations', 1).some((v) => v !== 1))
      throw ctx.unsupported(node, 'with dilations', 'dilations');
    const pad = windowPadding(ctx, node, k, s, [1, 1]);
    if (attrInt(node, 'ceil_mode', 0) !== 0) {
      // Ceil mode only matters when a last window would start inside the padded input.
      const shape = staticDims(ctx, node, node.inputs[0], 2);
      const pads = pad.pads ?? [0, 0, 0, 0];
      if (pad.padding === 'same' || shape.some((n, i) => (n + pads[i] + pads[i + 2] - k[i]) % s[i] !== 0)) {
        throw ctx.unsupported(node, 'with ceil_mode = 1 changing the output size', 'ceil_mode');
      }
    }
    const base = node.name || node.outputs[0];
    let input = ctx.kerasAs(x, NHWC, node, 4);
    if (pad.pads) {
      const includePad = attrInt(node, 'count_include_pad', 0) !== 0;
      if (className === 'MaxPooling2D' || !includePad) {
        throw ctx.unsupported(
          node,
          `with explicit pads [${pad.pads.join(', ')}] that are neither SAME nor VALID`,
          'pads',
        );
      }
      input = zeroPad(ctx, input, base, pad.pads);
    } else if (
      className === 'AveragePooling2D' &&
      pad.padding === 'same' &&
      attrInt(node, 'count_include_pad', 0) !== 0
    ) {
      const shape = staticDims(ctx, node, node.inputs[0], 2);
      const pads = samePads(shape[0], shape[1], k, s, [1, 1]);
      if (pads.some((p) => p > 0)) input = zeroPad(ctx, input, base, pads);
      pad.padding = 'valid';
    }
    const name = ctx.layer(
      className,
      base,
      { pool_size: [...k], strides: s, padding: pad.padding, data_format: 'channels_last' },
      [input],
    );
    alias(ctx, node, { keras: name, rel: NHWC });
  };
}

function globalPool(
  className: 'GlobalAveragePooling2D' | 'GlobalMaxPooling2D',
): (ctx: EncodeContext, node: Node) => void {
  return (ctx, node) => {
    const x = ctx.input(node, 0);
    if (rankOf(ctx, node, node.inputs[0]) !== 4)
      throw ctx.unsupported(node, 'on a tensor that is not rank 4', 'input 0');
    const c = staticDims(ctx, node, node.inputs[0])[0];
    const name = ctx.layer(className, node.name || node.outputs[0], { data_format: 'channels_last' }, [
      ctx.kerasAs(x, NHWC, node, 4),
    ]);
    alias(ctx, node, { keras: name, rel: { kind: 'squeezed', channels: c } });
  };
}

function reduce(
  className: 'GlobalAveragePooling2D' | 'GlobalMaxPooling2D',
): (ctx: EncodeContext, node: Node) => void {
  const global = globalPool(className);
  return (ctx, node) => {
    const axesT = node.inputs[1] ? ctx.constant(node.inputs[1]) : undefined;
    const axes = axesT ? toNumbers(axesT).map(Number) : attrInts(node, 'axes');
    const rank = rankOf(ctx, node, node.inputs[0]);
    const norm = (axes ?? []).map((a) => (a < 0 ? a + rank : a)).sort();
    if (rank !== 4 || norm.join(',') !== '2,3')
      throw ctx.unsupported(
        node,
        `over axes [${axes?.join(', ') ?? 'all'}] (spatial axes of an NCHW tensor only)`,
        'axes',
      );
    global(ctx, node);
    if (attrInt(node, 'keepdims', 1) === 0) {
      const v = ctx.values.get(node.outputs[0])!;
      ctx.values.set(node.outputs[0], { keras: v.keras, rel: { kind: 'perm', perm: [0, 1] } });
    }
  };
}

function flattenEncoded(ctx: EncodeContext, node: Node, x: EncodedValue, input: string): EncodedValue {
  const rank = rankOf(ctx, node, input);
  if (x.rel.kind === 'squeezed') return { keras: x.keras, rel: { kind: 'perm', perm: [0, 1] } };
  if (rank <= 2 || x.rel.kind === 'flat') return x;
  const dims = staticDims(ctx, node, input);
  const p = x.rel.perm;
  if (p[0] !== 0) {
    const keras = ctx.kerasAs(x, { kind: 'perm', perm: identityPerm(rank) }, node, rank);
    return {
      keras: ctx.layer('Flatten', node.name || node.outputs[0], {}, [keras]),
      rel: { kind: 'perm', perm: [0, 1] },
    };
  }
  const name = ctx.layer('Flatten', node.name || node.outputs[0], {}, [x.keras]);
  const rel: KerasRelation = { kind: 'flat', dims, perm: p.slice(1).map((i) => i - 1) };
  const trivial = ctx.columnMap(rel).every((m, k) => m === k);
  return { keras: name, rel: trivial ? { kind: 'perm', perm: [0, 1] } : rel };
}

function flatten(ctx: EncodeContext, node: Node): void {
  const x = ctx.input(node, 0);
  if (attrInt(node, 'axis', 1) !== 1)
    throw ctx.unsupported(node, `with axis ${attrInt(node, 'axis', 1)} (axis 1 only)`, 'axis');
  alias(ctx, node, flattenEncoded(ctx, node, x, node.inputs[0]));
}

function sameDim(a: Dim | undefined, b: Dim | undefined): boolean {
  return a !== undefined && a !== null && a === b;
}

function reshape(ctx: EncodeContext, node: Node): void {
  const x = ctx.input(node, 0);
  const inShape = ctx.shape(node.inputs[0]);
  const outShape = ctx.shape(node.outputs[0]);
  if (!inShape || !outShape)
    throw ctx.error(ErrorCodes.SHAPE_MISMATCH, 'needs inferred input and output shapes', node);
  if (!sameDim(inShape[0], outShape[0]))
    throw ctx.unsupported(
      node,
      `that may change the batch dim ([${inShape.join(', ')}] → [${outShape.join(', ')}])`,
    );
  const target = outShape.slice(1);
  if (!target.every((d): d is number => typeof d === 'number'))
    throw ctx.unsupported(node, `to a target shape that is not static ([${outShape.join(', ')}])`);
  const features = inShape.slice(1);
  const count = features.every((d): d is number => typeof d === 'number')
    ? features.reduce((a, b) => a * b, 1)
    : undefined;
  if (target.length === 1 && inShape.length > 2 && count === target[0]) {
    alias(ctx, node, flattenEncoded(ctx, node, x, node.inputs[0]));
    return;
  }
  if (x.rel.kind === 'squeezed' && target.length === 1) {
    alias(ctx, node, { keras: x.keras, rel: { kind: 'perm', perm: [0, 1] } });
    return;
  }
  const input = ctx.kerasAs(x, { kind: 'perm', perm: identityPerm(inShape.length) }, node, inShape.length);
  if (inShape.length === outShape.length && features.every((d, i) => d === target[i])) {
    alias(ctx, node, { keras: input, rel: { kind: 'perm', perm: identityPerm(outShape.length) } });
    return;
  }
  const name = ctx.layer('Reshape', node.name || node.outputs[0], { target_shape: target }, [input]);
  alias(ctx, node, { keras: name, rel: { kind: 'perm', perm: identityPerm(outShape.length) } });
}

function transpose(ctx: EncodeContext, node: Node): void {
  let x = ctx.input(node, 0);
  const rank = rankOf(ctx, node, node.inputs[0]);
  const t = attrInts(node, 'perm', identityPerm(rank).reverse());
  if (t.length !== rank || !isPermutation([...t]))
    throw ctx.error(
      ErrorCodes.MODEL_INVALID,
      `perm [${t.join(', ')}] is not a permutation of rank ${rank}`,
      node,
      'perm',
    );
  if (x.rel.kind !== 'perm') {
    const keras = ctx.kerasAs(x, { kind: 'perm', perm: identityPerm(rank) }, node, rank);
    x = { keras, rel: { kind: 'perm', perm: identityPerm(rank) } };
  }
  // keras = transpose(in, p) and in = transpose(out, inverse(t)), so keras = transpose(out, compose(inverse(t), p)).
  alias(ctx, node, {
    keras: x.keras,
    rel: { kind: 'perm', perm: composePerm(inversePerm(t), (x.rel as { perm: number[] }).perm) },
  });
}

/** Brings several values to one relation (shared when they agree, else canonical). */
function common(
  ctx: EncodeContext,
  node: Node,
  xs: EncodedValue[],
  rank: number,
): { names: string[]; rel: KerasRelation } {
  if (xs.every((x) => sameKerasRelation(x.rel, xs[0].rel)))
    return { names: xs.map((x) => x.keras), rel: xs[0].rel };
  const rel = canonicalRelation(rank);
  return { names: xs.map((x) => ctx.kerasAs(x, rel, node, rank)), rel };
}

function merge(
  className: 'Add' | 'Multiply' | 'Average' | 'Maximum' | 'Minimum',
): (ctx: EncodeContext, node: Node) => void {
  return (ctx, node) => {
    const names = node.inputs.filter((i) => i);
    const constant = names.find((n) => ctx.constant(n));
    if (constant !== undefined)
      throw ctx.unsupported(node, `with a constant operand '${constant}'`, 'inputs');
    const ranks = names.map((n) => rankOf(ctx, node, n));
    if (ranks.some((r) => r !== ranks[0]))
      throw ctx.unsupported(node, `on inputs of different ranks (${ranks.join(', ')})`, 'inputs');
    const xs = names.map((_, i) => ctx.input(node, i));
    if (xs.length === 1) {
      alias(ctx, node, xs[0]);
      return;
    }
    const { names: kerasNames, rel } = common(ctx, node, xs, ranks[0]);
    alias(ctx, node, { keras: ctx.layer(className, node.name || node.outputs[0], {}, kerasNames), rel });
  };
}

function concat(ctx: EncodeContext, node: Node): void {
  const names = node.inputs.filter((i) => i);
  const rank = rankOf(ctx, node, names[0]);
  let axis = attrInt(node, 'axis', 1);
  if (axis < 0) axis += rank;
  const xs = names.map((_, i) => ctx.input(node, i));
  if (xs.length === 1) {
    alias(ctx, node, xs[0]);
    return;
  }
  let rel: KerasRelation;
  let kerasNames: string[];
  let kerasAxis: number;
  if (axis === 1 && xs.every((x) => x.rel.kind === 'squeezed')) {
    const channels = staticDims(ctx, node, node.outputs[0])[0];
    rel = { kind: 'squeezed', channels };
    kerasNames = xs.map((x) => x.keras);
    kerasAxis = 1;
  } else {
    const fixed = xs.map((x) =>
      x.rel.kind === 'perm' ? x : { keras: ctx.canonical(x, node, rank), rel: canonicalRelation(rank) },
    );
    ({ names: kerasNames, rel } = common(ctx, node, fixed, rank));
    kerasAxis = (rel as { perm: number[] }).perm.indexOf(axis);
  }
  const name = ctx.layer(
    'Concatenate',
    node.name || node.outputs[0],
    { axis: kerasAxis === rank - 1 ? -1 : kerasAxis },
    kerasNames,
  );
  alias(ctx, node, { keras: name, rel });
}

function activation(keras: string): (ctx: EncodeContext, node: Node) => void {
  return (ctx, node) => {
    const x = ctx.input(node, 0);
    alias(ctx, node, {
      keras: ctx.layer('Activation', node.name || node.outputs[0], { activation: keras }, [x.keras]),
      rel: x.rel,
    });
  };
}

function softmax(keras: 'softmax' | 'logSoftmax'): (ctx: EncodeContext, node: Node) => void {
  return (ctx, node) => {
    const x = ctx.input(node, 0);
    const rank = rankOf(ctx, node, node.inputs[0]);
    const opset =
      ctx.graph.model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 13;
    let axis = attrInt(node, 'axis', opset >= 13 ? -1 : 1);
    if (axis < 0) axis += rank;
    if (opset < 13 && axis !== rank - 1)
      throw ctx.unsupported(node, `(opset ${opset}) over axes ${axis}.. of a rank-${rank} tensor`, 'axis');
    let kerasAxis: number;
    let kerasRank = rank;
    if (x.rel.kind === 'flat') {
      kerasAxis = 1; // a softmax over all features does not care about their order
    } else if (x.rel.kind === 'squeezed') {
      if (axis !== 1)
        throw ctx.unsupported(node, `over axis ${axis} of a pooled [N, C, 1, 1] tensor`, 'axis');
      kerasAxis = 1;
      kerasRank = 2;
    } else kerasAxis = x.rel.perm.indexOf(axis);
    const base = node.name || node.outputs[0];
    let name: string;
    if (kerasAxis === kerasRank - 1) name = ctx.layer('Activation', base, { activation: keras }, [x.keras]);
    else if (keras === 'softmax') name = ctx.layer('Softmax', base, { axis: kerasAxis }, [x.keras]);
    else throw ctx.unsupported(node, 'over an axis that is not the last one in Keras layout', 'axis');
    alias(ctx, node, { keras: name, rel: x.rel });
  };
}

function clip(ctx: EncodeContext, node: Node): void {
  const x = ctx.input(node, 0);
  const min = node.inputs.length > 1 ? optionalScalar(ctx, node, 1, 'min') : attrFloat(node, 'min');
  const max = node.inputs.length > 2 ? optionalScalar(ctx, node, 2, 'max') : attrFloat(node, 'max');
  if (min !== 0)
    throw ctx.unsupported(node, `with min ${min ?? '-inf'} (ReLU-style clips with min 0 only)`, 'min');
  const base = node.name || node.outputs[0];
  const name =
    max === undefined || max === Infinity
      ? ctx.layer('Activation', base, { activation: 'relu' }, [x.keras])
      : ctx.layer('ReLU', base, { max_value: max }, [x.keras]);
  alias(ctx, node, { keras: name, rel: x.rel });
}

function leakyRelu(ctx: EncodeContext, node: Node): void {
  const x = ctx.input(node, 0);
  alias(ctx, node, {
    keras: ctx.layer('LeakyReLU', node.name || node.outputs[0], { alpha: attrFloat(node, 'alpha', 0.01) }, [
      x.keras,
    ]),
    rel: x.rel,
  });
}

function elu(ctx: EncodeContext, node: Node): void {
  const alpha = attrFloat(node, 'alpha', 1);
  // tfjs-layers' ELU layer refuses alpha ≠ 1 ("not supported yet").
  if (Math.abs(alpha - 1) > 1e-7)
    throw ctx.unsupported(node, `with alpha ${alpha} (TF.js supports alpha 1 only)`, 'alpha');
  activation('elu')(ctx, node);
}

function selu(ctx: EncodeContext, node: Node): void {
  const alpha = attrFloat(node, 'alpha', 1.67326319217681884765625);
  const gamma = attrFloat(node, 'gamma', 1.05070102214813232421875);
  if (Math.abs(alpha - 1.6732632) > 1e-6 || Math.abs(gamma - 1.050701) > 1e-6)
    throw ctx.unsupported(node, `with alpha ${alpha}, gamma ${gamma} (the standard constants only)`);
  activation('selu')(ctx, node);
}

function hardSigmoid(ctx: EncodeContext, node: Node): void {
  const alpha = attrFloat(node, 'alpha', 0.2);
  const beta = attrFloat(node, 'beta', 0.5);
  if (Math.abs(alpha - 0.2) > 1e-7 || Math.abs(beta - 0.5) > 1e-7)
    throw ctx.unsupported(node, `with alpha ${alpha}, beta ${beta} (0.2 and 0.5 only)`);
  activation('hardSigmoid')(ctx, node);
}

function prelu(ctx: EncodeContext, node: Node): void {
  let x = ctx.input(node, 0);
  const rank = rankOf(ctx, node, node.inputs[0]);
  const slope = constInput(ctx, node, 1, 'slope');
  if (x.rel.kind !== 'perm') x = { keras: ctx.canonical(x, node, rank), rel: canonicalRelation(rank) };
  const p = (x.rel as { perm: number[] }).perm;
  if (p[0] !== 0) throw ctx.unsupported(node, 'on a tensor whose batch axis moved');
  const dims = [...slope.dims];
  if (dims.length > rank - 1)
    throw ctx.unsupported(node, `with a slope of shape [${dims.join(', ')}]`, 'input 1');
  while (dims.length < rank - 1) dims.unshift(1);
  const q = p.slice(1).map((i) => i - 1);
  const alpha = transposeData(toFloat32(slope), dims, q);
  const alphaDims = q.map((i) => dims[i]);
  const features = staticDims(ctx, node, node.inputs[0]).map((_, i) => i);
  const shared = features.filter((i) => alphaDims[i] === 1).map((i) => i + 1);
  const full = alphaDims.map((d, i) => (shared.includes(i + 1) ? 1 : d));
  const name = ctx.layer(
    'PReLU',
    node.name || node.outputs[0],
    { shared_axes: shared.length ? shared : null },
    [x.keras],
  );
  ctx.weight(name, 'alpha', full, alpha);
  alias(ctx, node, { keras: name, rel: x.rel });
}

function pad(ctx: EncodeContext, node: Node): void {
  const x = ctx.input(node, 0);
  const mode = attrString(node, 'mode', 'constant');
  const pads = node.inputs[1]
    ? toNumbers(constInput(ctx, node, 1, 'pads')).map(Number)
    : [...(attrInts(node, 'pads') ?? [])];
  const value = node.inputs[2] ? optionalScalar(ctx, node, 2, 'constant_value') : attrFloat(node, 'value', 0);
  if (mode !== 'constant' || (value ?? 0) !== 0)
    throw ctx.unsupported(node, `with mode '${mode}' and value ${value ?? 0} (zero padding only)`, 'mode');
  if (node.inputs[3]) throw ctx.unsupported(node, 'with axes', 'input 3');
  const rank = rankOf(ctx, node, node.inputs[0]);
  if (rank !== 4 || pads.length !== 8 || [0, 1, 4, 5].some((i) => pads[i] !== 0) || pads.some((p) => p < 0)) {
    throw ctx.unsupported(node, `with pads [${pads.join(', ')}] (spatial zero padding of NCHW only)`, 'pads');
  }
  const name = zeroPad(ctx, ctx.kerasAs(x, NHWC, node, 4), node.name || node.outputs[0], [
    pads[2],
    pads[3],
    pads[6],
    pads[7],
  ]);
  alias(ctx, node, { keras: name, rel: NHWC });
}

function identityOp(ctx: EncodeContext, node: Node): void {
  onlyFirstOutput(ctx, node);
  const constant = ctx.constant(node.inputs[0]);
  if (constant) ctx.constants.set(node.outputs[0], { ...constant, name: node.outputs[0] });
  else alias(ctx, node, ctx.input(node, 0));
}

/**
 * IR op encoders by ONNX op type (default domain).
 *
 * @example
 * OP_ENCODERS.has('Conv'); // true
 */
export const OP_ENCODERS: ReadonlyMap<string, OpEncoder> = new Map<string, OpEncoder>([
  ['Conv', conv],
  ['Gemm', gemm],
  ['MatMul', matmul],
  ['BatchNormalization', batchNorm],
  ['MaxPool', pool('MaxPooling2D')],
  ['AveragePool', pool('AveragePooling2D')],
  ['GlobalAveragePool', globalPool('GlobalAveragePooling2D')],
  ['GlobalMaxPool', globalPool('GlobalMaxPooling2D')],
  ['ReduceMean', reduce('GlobalAveragePooling2D')],
  ['ReduceMax', reduce('GlobalMaxPooling2D')],
  ['Flatten', flatten],
  ['Reshape', reshape],
  ['Transpose', transpose],
  ['Add', merge('Add')],
  ['Sum', merge('Add')],
  ['Mul', merge('Multiply')],
  ['Mean', merge('Average')],
  ['Max', merge('Maximum')],
  ['Min', merge('Minimum')],
  ['Concat', concat],
  ['Relu', activation('relu')],
  ['Sigmoid', activation('sigmoid')],
  ['Tanh', activation('tanh')],
  ['Softplus', activation('softplus')],
  ['Softsign', activation('softsign')],
  ['Selu', selu],
  ['HardSigmoid', hardSigmoid],
  ['Elu', elu],
  ['LeakyRelu', leakyRelu],
  ['PRelu', prelu],
  ['Clip', clip],
  ['Softmax', softmax('softmax')],
  ['LogSoftmax', softmax('logSoftmax')],
  ['Pad', pad],
  ['Identity', identityOp],
  ['Dropout', identityOp],
]);
