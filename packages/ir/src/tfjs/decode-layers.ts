import { ErrorCodes } from '@metacompress/core';
import type { Dim } from '../graph';
import {
  type DecodeContext,
  type DecodedValue,
  type Relation,
  sameLayout,
  sameRelation,
} from './decode-context';
import { float } from './ir-builder';
import type { KerasLayer } from './keras-topology';
import { isObject } from './model-json';
import {
  composePerm,
  identityPerm,
  inversePerm,
  invertMap,
  isIdentity,
  isPermutation,
  NCHW_FROM_NHWC,
  permuteRows,
  transposeData,
} from './layout';

/** What a layer handler gets: the layer, which call, its inputs, and where the result should be named. */
export interface LayerInput {
  d: DecodeContext;
  layer: KerasLayer;
  inputs: DecodedValue[];
  /** Base name of the call's output value (the layer name for its first call). */
  out: string;
}

/** Turns one Keras layer call into IR nodes; returns the Keras output tensor. */
export type LayerHandler = (x: LayerInput) => DecodedValue;

const NCHW: Relation = { kind: 'perm', perm: [...NCHW_FROM_NHWC] };

// ---------------------------------------------------------------- config readers

function cfg(layer: KerasLayer): Record<string, unknown> {
  return layer.config;
}

function intPair(
  d: DecodeContext,
  layer: KerasLayer,
  key: string,
  fallback: [number, number],
): [number, number] {
  const v = cfg(layer)[key];
  if (v === undefined || v === null) return fallback;
  if (Number.isInteger(v)) return [v as number, v as number];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && (x as number) > 0))
    return [v[0] as number, v[1] as number];
  throw d.error(
    ErrorCodes.MODEL_INVALID,
    `${key} must be an integer or a pair of positive integers, got ${JSON.stringify(v)}`,
    layer,
    `config.${key}`,
  );
}

function num(d: DecodeContext, layer: KerasLayer, key: string, fallback: number): number {
  const v = cfg(layer)[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw d.error(
      ErrorCodes.MODEL_INVALID,
      `${key} must be a finite number, got ${JSON.stringify(v)}`,
      layer,
      `config.${key}`,
    );
  return v;
}

function bool(layer: KerasLayer, key: string, fallback: boolean): boolean {
  const v = cfg(layer)[key];
  return typeof v === 'boolean' ? v : fallback;
}

function checkChannelsLast(d: DecodeContext, layer: KerasLayer): void {
  const f = cfg(layer).data_format;
  if (f !== undefined && f !== null && f !== 'channels_last') {
    throw d.error(
      ErrorCodes.UNSUPPORTED_OP,
      `data_format '${String(f)}' is not supported (only channels_last, the TF.js default)`,
      layer,
      'config.data_format',
    );
  }
}

function padding(d: DecodeContext, layer: KerasLayer): 'same' | 'valid' {
  const p = cfg(layer).padding ?? 'valid';
  if (p !== 'same' && p !== 'valid')
    throw d.error(
      ErrorCodes.UNSUPPORTED_OP,
      `padding '${String(p)}' is not supported (same or valid)`,
      layer,
      'config.padding',
    );
  return p;
}

/** The activation name of a layer config (`'linear'` when absent). */
function activationOf(d: DecodeContext, layer: KerasLayer, value: unknown = cfg(layer).activation): string {
  if (value === undefined || value === null) return 'linear';
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.class_name === 'string') return value.class_name;
  if (isObject(value) && isObject(value.config) && typeof value.config.name === 'string')
    return value.config.name;
  throw d.error(
    ErrorCodes.MODEL_INVALID,
    `cannot read activation ${JSON.stringify(value)}`,
    layer,
    'config.activation',
  );
}

// ---------------------------------------------------------------- shapes

function convOut(n: Dim, k: number, s: number, dil: number, pad: 'same' | 'valid'): Dim {
  if (typeof n !== 'number') return null;
  const eff = (k - 1) * dil + 1;
  return pad === 'same' ? Math.ceil(n / s) : Math.floor((n - eff) / s) + 1;
}

/** ONNX pads `[top, left, bottom, right]` equal to TF's SAME padding, or undefined when a dim is unknown. */
function samePads(
  h: Dim,
  w: Dim,
  k: [number, number],
  s: [number, number],
  dil: [number, number],
): number[] | undefined {
  if (typeof h !== 'number' || typeof w !== 'number') return undefined;
  const one = (n: number, i: number): [number, number] => {
    const out = Math.ceil(n / s[i]);
    const total = Math.max((out - 1) * s[i] + (k[i] - 1) * dil[i] + 1 - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [t, b] = one(h, 0);
  const [l, r] = one(w, 1);
  return [t, l, b, r];
}

function padAttrs(
  pad: 'same' | 'valid',
  x: DecodedValue,
  k: [number, number],
  s: [number, number],
  dil: [number, number],
): Record<string, number[] | string> {
  if (pad === 'valid') return { pads: [0, 0, 0, 0] };
  const pads = samePads(x.shape[1], x.shape[2], k, s, dil);
  return pads ? { pads } : { auto_pad: 'SAME_UPPER' };
}

function spatialOut(
  x: DecodedValue,
  k: [number, number],
  s: [number, number],
  dil: [number, number],
  pad: 'same' | 'valid',
  channels: Dim,
): Dim[] {
  const h = convOut(x.shape[1], k[0], s[0], dil[0], pad);
  const w = convOut(x.shape[2], k[1], s[1], dil[1], pad);
  return [x.shape[0], h, w, channels];
}

function checkSpatial(d: DecodeContext, layer: KerasLayer, x: DecodedValue, outShape: Dim[]): void {
  if (outShape.slice(1, 3).some((n) => typeof n === 'number' && n <= 0)) {
    throw d.error(
      ErrorCodes.SHAPE_MISMATCH,
      `input ${x.shape[1]}x${x.shape[2]} is smaller than the kernel`,
      layer,
      'config.kernel_size',
    );
  }
}

// ---------------------------------------------------------------- activations

const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_ALPHA = 1.6732632423543772848170429916717;

/** The IR axis of Keras axis `axis` of a value. */
function irAxis(v: DecodedValue, axis: number): number {
  const a = axis < 0 ? axis + v.shape.length : axis;
  return v.rel.kind === 'perm' ? v.rel.perm.indexOf(a) : 1;
}

/** Applies a Keras activation by name to a value (any relation: activations are elementwise or along the last axis). */
export function activate(
  d: DecodeContext,
  layer: KerasLayer,
  v: DecodedValue,
  name: string,
  base: string,
): DecodedValue {
  const b = d.b;
  const x = v.ir;
  const mk = (ir: string): DecodedValue => ({ ...v, ir });
  switch (name) {
    case 'linear':
      return v;
    case 'relu':
      return mk(b.add('Relu', [x], {}, base));
    case 'relu6':
      return mk(
        b.add(
          'Clip',
          [x, b.floatInit(`${base}/min`, [], [0]), b.floatInit(`${base}/max`, [], [6])],
          {},
          base,
        ),
      );
    case 'sigmoid':
      return mk(b.add('Sigmoid', [x], {}, base));
    case 'tanh':
      return mk(b.add('Tanh', [x], {}, base));
    case 'softplus':
      return mk(b.add('Softplus', [x], {}, base));
    case 'softsign':
      return mk(b.add('Softsign', [x], {}, base));
    case 'elu':
      return mk(b.add('Elu', [x], { alpha: float(1) }, base));
    case 'selu':
      return mk(b.add('Selu', [x], { alpha: float(SELU_ALPHA), gamma: float(SELU_SCALE) }, base));
    case 'hard_sigmoid':
    case 'hardSigmoid':
      return mk(b.add('HardSigmoid', [x], { alpha: float(0.2), beta: float(0.5) }, base));
    case 'softmax':
      return mk(b.add('Softmax', [x], { axis: irAxis(v, -1) }, base));
    case 'log_softmax':
    case 'logSoftmax':
      return mk(b.add('LogSoftmax', [x], { axis: irAxis(v, -1) }, base));
    case 'swish':
    case 'silu': {
      const s = b.add('Sigmoid', [x], {}, `${base}/sigmoid`);
      return mk(b.add('Mul', [x, s], {}, base));
    }
    case 'mish': {
      const sp = b.add('Softplus', [x], {}, `${base}/softplus`);
      const t = b.add('Tanh', [sp], {}, `${base}/tanh`);
      return mk(b.add('Mul', [x, t], {}, base));
    }
    case 'gelu': {
      // 0.5 · x · (1 + erf(x / √2)), as tfjs-layers computes it.
      const scaled = b.add(
        'Mul',
        [x, b.floatInit(`${base}/inv_sqrt2`, [], [Math.SQRT1_2])],
        {},
        `${base}/scaled`,
      );
      const erf = b.add('Erf', [scaled], {}, `${base}/erf`);
      const onePlus = b.add('Add', [erf, b.floatInit(`${base}/one`, [], [1])], {}, `${base}/one_plus`);
      const half = b.add('Mul', [x, b.floatInit(`${base}/half`, [], [0.5])], {}, `${base}/half_x`);
      return mk(b.add('Mul', [half, onePlus], {}, base));
    }
    default:
      throw d.error(
        ErrorCodes.UNSUPPORTED_OP,
        `activation '${name}' is not supported`,
        layer,
        'config.activation',
      );
  }
}

// ---------------------------------------------------------------- layers

function unary(x: LayerInput): DecodedValue {
  if (x.inputs.length !== 1)
    throw x.d.error(
      ErrorCodes.MODEL_INVALID,
      `expects one input, got ${x.inputs.length}`,
      x.layer,
      'inbound_nodes',
    );
  return x.inputs[0];
}

function conv2d({ d, layer, inputs, out }: LayerInput): DecodedValue {
  checkChannelsLast(d, layer);
  const v = unary({ d, layer, inputs, out });
  const k = intPair(d, layer, 'kernel_size', [0, 0]);
  if (!(k[0] > 0 && k[1] > 0))
    throw d.error(ErrorCodes.MODEL_INVALID, 'kernel_size is missing', layer, 'config.kernel_size');
  const s = intPair(d, layer, 'strides', [1, 1]);
  const dil = intPair(d, layer, 'dilation_rate', [1, 1]);
  const pad = padding(d, layer);
  const filters = num(d, layer, 'filters', 0);
  const groups = num(d, layer, 'groups', 1);
  const cin = v.shape[3];
  if (typeof cin === 'number' && cin % groups !== 0)
    throw d.error(
      ErrorCodes.SHAPE_MISMATCH,
      `${cin} input channels do not split into ${groups} groups`,
      layer,
      'config.groups',
    );
  const useBias = bool(layer, 'use_bias', true);
  const kernel = d.weight(layer, 'kernel', 0, [
    k[0],
    k[1],
    typeof cin === 'number' ? cin / groups : null,
    filters || null,
  ]);
  const [kh, kw, ci, co] = kernel.shape;
  const x = d.asNchw(v, layer);
  const w = d.b.floatInit(
    `${layer.name}/kernel`,
    [co, ci, kh, kw],
    transposeData(kernel.values, kernel.shape, [3, 2, 0, 1]),
  );
  const ins = [x, w];
  if (useBias) ins.push(d.b.floatInit(`${layer.name}/bias`, [co], d.weight(layer, 'bias', 1, [co]).values));
  const y = d.b.add(
    'Conv',
    ins,
    { kernel_shape: [kh, kw], strides: s, dilations: dil, group: groups, ...padAttrs(pad, v, k, s, dil) },
    `${out}/conv`,
  );
  const shape = spatialOut(v, k, s, dil, pad, co);
  checkSpatial(d, layer, v, shape);
  return activate(d, layer, { ir: y, shape, rel: NCHW }, activationOf(d, layer), out);
}

/** Adds a depthwise Conv (group = C) for a Keras depthwise kernel `[kh, kw, C, m]`; returns the NCHW output. */
function depthwise(
  d: DecodeContext,
  layer: KerasLayer,
  v: DecodedValue,
  base: string,
  biasIndex: number | undefined,
): { y: string; shape: Dim[] } {
  checkChannelsLast(d, layer);
  const k = intPair(d, layer, 'kernel_size', [0, 0]);
  if (!(k[0] > 0 && k[1] > 0))
    throw d.error(ErrorCodes.MODEL_INVALID, 'kernel_size is missing', layer, 'config.kernel_size');
  const s = intPair(d, layer, 'strides', [1, 1]);
  const dil = intPair(d, layer, 'dilation_rate', [1, 1]);
  const pad = padding(d, layer);
  // tfjs-layers 4.x leaves depth_multiplier out of SeparableConv2D configs: the kernel tells.
  const declared = cfg(layer).depth_multiplier === undefined ? null : num(d, layer, 'depth_multiplier', 1);
  const cin = v.shape[3];
  const kernel = d.weight(layer, 'depthwise_kernel', 0, [
    k[0],
    k[1],
    typeof cin === 'number' ? cin : null,
    declared,
  ]);
  const [kh, kw, c, m] = kernel.shape;
  const x = d.asNchw(v, layer);
  // [kh, kw, C, m] → [C, m, kh, kw] = [C·m, 1, kh, kw]: output channel c·m + j, as ONNX groups it.
  const w = d.b.floatInit(
    `${layer.name}/depthwise_kernel`,
    [c * m, 1, kh, kw],
    transposeData(kernel.values, kernel.shape, [2, 3, 0, 1]),
  );
  const ins = [x, w];
  if (biasIndex !== undefined)
    ins.push(
      d.b.floatInit(`${layer.name}/bias`, [c * m], d.weight(layer, 'bias', biasIndex, [c * m]).values),
    );
  const y = d.b.add(
    'Conv',
    ins,
    { kernel_shape: [kh, kw], strides: s, dilations: dil, group: c, ...padAttrs(pad, v, k, s, dil) },
    base,
  );
  const shape = spatialOut(v, k, s, dil, pad, c * m);
  checkSpatial(d, layer, v, shape);
  return { y, shape };
}

function depthwiseConv2d(x: LayerInput): DecodedValue {
  const { d, layer, out } = x;
  const v = unary(x);
  const { y, shape } = depthwise(d, layer, v, `${out}/conv`, bool(layer, 'use_bias', true) ? 1 : undefined);
  return activate(d, layer, { ir: y, shape, rel: NCHW }, activationOf(d, layer), out);
}

function separableConv2d(x: LayerInput): DecodedValue {
  const { d, layer, out } = x;
  const v = unary(x);
  const { y: dw, shape: dwShape } = depthwise(d, layer, v, `${out}/depthwise`, undefined);
  const mid = dwShape[3] as number;
  const filters = num(d, layer, 'filters', 0);
  const pointwise = d.weight(layer, 'pointwise_kernel', 1, [1, 1, mid, filters || null]);
  const co = pointwise.shape[3];
  const w = d.b.floatInit(
    `${layer.name}/pointwise_kernel`,
    [co, mid, 1, 1],
    transposeData(pointwise.values, pointwise.shape, [3, 2, 0, 1]),
  );
  const ins = [dw, w];
  if (bool(layer, 'use_bias', true))
    ins.push(d.b.floatInit(`${layer.name}/bias`, [co], d.weight(layer, 'bias', 2, [co]).values));
  const y = d.b.add(
    'Conv',
    ins,
    { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], group: 1 },
    `${out}/pointwise`,
  );
  return activate(
    d,
    layer,
    { ir: y, shape: [dwShape[0], dwShape[1], dwShape[2], co], rel: NCHW },
    activationOf(d, layer),
    out,
  );
}

function dense(x: LayerInput): DecodedValue {
  const { d, layer, out } = x;
  const v = unary(x);
  const units = num(d, layer, 'units', 0);
  const rank = v.shape.length;
  const inDim = v.rel.kind === 'flat' ? v.rel.dims.reduce((a, b) => a * b, 1) : v.shape[rank - 1];
  const kernel = d.weight(layer, 'kernel', 0, [typeof inDim === 'number' ? inDim : null, units || null]);
  const [k, n] = kernel.shape;
  const useBias = bool(layer, 'use_bias', true);
  const bias = useBias ? d.weight(layer, 'bias', 1, [n]) : undefined;
  let y: string;
  let rel: Relation;
  if (rank === 2) {
    let values = kernel.values;
    let input = v.ir;
    if (v.rel.kind === 'flat') {
      // IR column map[k] holds Keras column k: kernel row k moves to row map[k].
      values = permuteRows(values, n, invertMap(d.columnMap(v.rel)));
    } else input = d.asKeras(v);
    const w = d.b.floatInit(`${layer.name}/kernel`, [k, n], values);
    const ins = [input, w];
    if (bias) ins.push(d.b.floatInit(`${layer.name}/bias`, [n], bias.values));
    y = d.b.add('Gemm', ins, {}, `${out}/dense`);
    rel = sameLayout(2);
  } else {
    // Dense on rank > 2 applies to the last axis, in Keras layout.
    const w = d.b.floatInit(`${layer.name}/kernel`, [k, n], kernel.values);
    y = d.b.add('MatMul', [d.asKeras(v), w], {}, `${out}/matmul`);
    if (bias)
      y = d.b.add('Add', [y, d.b.floatInit(`${layer.name}/bias`, [n], bias.values)], {}, `${out}/dense`);
    rel = sameLayout(rank);
  }
  return activate(d, layer, { ir: y, shape: [...v.shape.slice(0, -1), n], rel }, activationOf(d, layer), out);
}

function batchNorm(x: LayerInput): DecodedValue {
  const { d, layer, out } = x;
  const v = unary(x);
  const rank = v.shape.length;
  let axis = cfg(layer).axis ?? -1;
  if (Array.isArray(axis) && axis.length === 1) axis = axis[0];
  if (!Number.isInteger(axis))
    throw d.error(
      ErrorCodes.UNSUPPORTED_OP,
      `axis ${JSON.stringify(axis)} is not supported (one axis)`,
      layer,
      'config.axis',
    );
  const a = (axis as number) < 0 ? (axis as number) + rank : (axis as number);
  if (a < 1 || a >= rank)
    throw d.error(
      ErrorCodes.UNSUPPORTED_OP,
      `axis ${String(axis)} is not a feature axis of a rank-${rank} input`,
      layer,
      'config.axis',
    );
  const c = v.rel.kind === 'flat' ? v.rel.dims.reduce((p, q) => p * q, 1) : v.shape[a];
  if (typeof c !== 'number')
    throw d.error(ErrorCodes.SHAPE_MISMATCH, 'the normalized axis has an unknown size', layer, 'config.axis');
  const epsilon = num(d, layer, 'epsilon', 1e-3);
  const center = bool(layer, 'center', true);
  const scale = bool(layer, 'scale', true);
  let index = 0;
  const gamma = scale ? d.weight(layer, 'gamma', index++, [c]).values : new Float32Array(c).fill(1);
  const beta = center ? d.weight(layer, 'beta', index++, [c]).values : new Float32Array(c);
  const mean = d.weight(layer, 'moving_mean', index++, [c]).values;
  const variance = d.weight(layer, 'moving_variance', index++, [c]).values;
  let input: string;
  let rel: Relation;
  let params = [gamma, beta, mean, variance];
  if (v.rel.kind === 'flat') {
    if (a !== 1)
      throw d.error(
        ErrorCodes.UNSUPPORTED_OP,
        'a flattened input normalizes axis 1 only',
        layer,
        'config.axis',
      );
    const inv = invertMap(d.columnMap(v.rel));
    params = params.map((p) => permuteRows(p, 1, inv));
    input = v.ir;
    rel = v.rel;
  } else if (v.rel.perm[1] === a) {
    input = v.ir;
    rel = v.rel;
  } else {
    // Move the normalized axis to position 1 (NCHW for images), the one ONNX normalizes.
    const perm =
      rank === 4 && a === 3
        ? [...NCHW_FROM_NHWC]
        : [0, a, ...identityPerm(rank).filter((i) => i !== 0 && i !== a)];
    input = d.asPerm(v, perm);
    rel = { kind: 'perm', perm };
  }
  const names = ['gamma', 'beta', 'moving_mean', 'moving_variance'];
  const ins = [input, ...params.map((p, i) => d.b.floatInit(`${layer.name}/${names[i]}`, [c], p))];
  return { ir: d.b.add('BatchNormalization', ins, { epsilon: float(epsilon) }, out), shape: v.shape, rel };
}

function pool(opType: 'MaxPool' | 'AveragePool'): LayerHandler {
  return ({ d, layer, inputs, out }) => {
    checkChannelsLast(d, layer);
    const v = unary({ d, layer, inputs, out });
    const k = intPair(d, layer, 'pool_size', [2, 2]);
    const s = intPair(d, layer, 'strides', k);
    const pad = padding(d, layer);
    const x = d.asNchw(v, layer);
    const attrs = { kernel_shape: k, strides: s, ...padAttrs(pad, v, k, s, [1, 1]) };
    const shape = spatialOut(v, k, s, [1, 1], pad, v.shape[3]);
    checkSpatial(d, layer, v, shape);
    // TF's SAME average pooling divides by the count of real (unpadded) elements: count_include_pad = 0.
    return { ir: d.b.add(opType, [x], attrs, out), shape, rel: NCHW };
  };
}

function globalPool(opType: 'GlobalAveragePool' | 'GlobalMaxPool'): LayerHandler {
  return ({ d, layer, inputs, out }) => {
    checkChannelsLast(d, layer);
    const v = unary({ d, layer, inputs, out });
    const x = d.asNchw(v, layer);
    const keep = bool(layer, 'keepdims', false);
    const pooled = d.b.add(opType, [x], {}, keep ? out : `${out}/pool`);
    if (keep) return { ir: pooled, shape: [v.shape[0], 1, 1, v.shape[3]], rel: NCHW };
    return {
      ir: d.b.add('Flatten', [pooled], { axis: 1 }, out),
      shape: [v.shape[0], v.shape[3]],
      rel: sameLayout(2),
    };
  };
}

function flattenValue(d: DecodeContext, v: DecodedValue, out: string): DecodedValue {
  const rank = v.shape.length;
  if (rank <= 2) return v;
  const features = v.shape.slice(1);
  const total = features.every((n) => typeof n === 'number')
    ? (features as number[]).reduce((a, b) => a * b, 1)
    : null;
  const shape: Dim[] = [v.shape[0], total];
  if (v.rel.kind === 'flat') return v;
  const p = v.rel.perm;
  if (isIdentity(p) || total === null || p[0] !== 0) {
    return { ir: d.b.add('Flatten', [d.asKeras(v)], { axis: 1 }, out), shape, rel: sameLayout(2) };
  }
  // The IR holds transpose(keras, p): flatten it as it is and remember how the columns map.
  const irDims = p.slice(1).map((i) => features[i - 1] as number);
  const perm = identityPerm(rank - 1).map((j) => p.indexOf(j + 1) - 1);
  const rel: Relation = { kind: 'flat', dims: irDims, perm };
  const map = d.columnMap(rel);
  const trivial = map.every((m, k) => m === k);
  return { ir: d.b.add('Flatten', [v.ir], { axis: 1 }, out), shape, rel: trivial ? sameLayout(2) : rel };
}

function flatten(x: LayerInput): DecodedValue {
  checkChannelsLast(x.d, x.layer);
  return flattenValue(x.d, unary(x), x.out);
}

function reshape(x: LayerInput): DecodedValue {
  const { d, layer, out } = x;
  const v = unary(x);
  const raw = cfg(layer).target_shape;
  // tfjs writes an inferred dim (-1) as null.
  const target = Array.isArray(raw) ? raw.map((t) => (t === null ? -1 : t)) : raw;
  if (
    !Array.isArray(target) ||
    !target.every((t) => Number.isInteger(t) && ((t as number) > 0 || t === -1)) ||
    target.filter((t) => t === -1).length > 1
  ) {
    throw d.error(
      ErrorCodes.MODEL_INVALID,
      `target_shape must be positive integers with at most one -1, got ${JSON.stringify(target)}`,
      layer,
      'config.target_shape',
    );
  }
  const features = v.shape.slice(1);
  const known = features.every((n) => typeof n === 'number')
    ? (features as number[]).reduce((a, b) => a * b, 1)
    : null;
  const dims = (target as number[]).map((t) => {
    if (t !== -1) return t;
    const rest = (target as number[]).filter((u) => u !== -1).reduce((a, b) => a * b, 1);
    return known === null ? null : known / rest;
  });
  if (known !== null && dims.every((n) => n !== null)) {
    const product = (dims as number[]).reduce((a, b) => a * b, 1);
    if (product !== known || !Number.isInteger(product)) {
      throw d.error(
        ErrorCodes.SHAPE_MISMATCH,
        `cannot reshape [${features.join(', ')}] to [${(target as number[]).join(', ')}]`,
        layer,
        'config.target_shape',
      );
    }
  }
  // A reshape to one feature axis is a flatten (keeps Flatten → Dense friendly for pruning).
  if (dims.length === 1 && v.shape.length > 2) return flattenValue(d, v, out);
  const shapeInit = d.b.int64Init(`${out}/shape`, [0, ...(target as number[])]);
  return {
    ir: d.b.add('Reshape', [d.asKeras(v), shapeInit], {}, out),
    shape: [v.shape[0], ...dims],
    rel: sameLayout(dims.length + 1),
  };
}

function permute(x: LayerInput): DecodedValue {
  const { d, layer } = x;
  const v = unary(x);
  const dims = cfg(layer).dims;
  const full = Array.isArray(dims) ? [0, ...dims] : [];
  if (full.length !== v.shape.length || !isPermutation(full) || full[0] !== 0) {
    throw d.error(
      ErrorCodes.MODEL_INVALID,
      `dims ${JSON.stringify(dims)} is not a permutation of 1..${v.shape.length - 1}`,
      layer,
      'config.dims',
    );
  }
  const shape = full.map((i) => v.shape[i]);
  if (v.rel.kind === 'flat') return { ir: d.asKeras(v), shape, rel: sameLayout(2) };
  // keras_in = transpose(keras_out, inv(full)); ir = transpose(keras_in, p) = transpose(keras_out, compose(inv(full), p)).
  return { ir: v.ir, shape, rel: { kind: 'perm', perm: composePerm(inversePerm(full), v.rel.perm) } };
}

function zeroPadding2d(x: LayerInput): DecodedValue {
  const { d, layer, out } = x;
  checkChannelsLast(d, layer);
  const v = unary(x);
  const p = cfg(layer).padding ?? 1;
  let tb: [number, number];
  let lr: [number, number];
  const isPair = (q: unknown): q is [number, number] =>
    Array.isArray(q) && q.length === 2 && q.every((n) => Number.isInteger(n) && (n as number) >= 0);
  if (Number.isInteger(p) && (p as number) >= 0) tb = lr = [p as number, p as number];
  else if (isPair(p)) {
    tb = [p[0], p[0]];
    lr = [p[1], p[1]];
  } else if (Array.isArray(p) && p.length === 2 && isPair(p[0]) && isPair(p[1])) {
    tb = p[0];
    lr = p[1];
  } else
    throw d.error(
      ErrorCodes.MODEL_INVALID,
      `padding ${JSON.stringify(p)} is not an int, a pair or a pair of pairs`,
      layer,
      'config.padding',
    );
  const xs = d.asNchw(v, layer);
  const pads = d.b.int64Init(`${out}/pads`, [0, 0, tb[0], lr[0], 0, 0, tb[1], lr[1]]);
  const add = (n: Dim, a: number, b2: number): Dim => (typeof n === 'number' ? n + a + b2 : null);
  const shape = [v.shape[0], add(v.shape[1], tb[0], tb[1]), add(v.shape[2], lr[0], lr[1]), v.shape[3]];
  return { ir: d.b.add('Pad', [xs, pads], { mode: 'constant' }, out), shape, rel: NCHW };
}

function activationLayer(x: LayerInput): DecodedValue {
  return activate(x.d, x.layer, unary(x), activationOf(x.d, x.layer), x.out);
}

function reluLayer(x: LayerInput): DecodedValue {
  const { d, layer, out } = x;
  const v = unary(x);
  const c = cfg(layer);
  const maxValue =
    c.max_value === undefined || c.max_value === null ? undefined : num(d, layer, 'max_value', 0);
  const slope = num(d, layer, 'negative_slope', 0);
  const threshold = num(d, layer, 'threshold', 0);
  if (threshold !== 0)
    throw d.error(
      ErrorCodes.UNSUPPORTED_OP,
      `threshold ${threshold} is not supported (0 only)`,
      layer,
      'config.threshold',
    );
  const b = d.b;
  if (slope === 0) {
    if (maxValue === undefined) return { ...v, ir: b.add('Relu', [v.ir], {}, out) };
    return {
      ...v,
      ir: b.add(
        'Clip',
        [v.ir, b.floatInit(`${out}/min`, [], [0]), b.floatInit(`${out}/max`, [], [maxValue])],
        {},
        out,
      ),
    };
  }
  if (maxValue === undefined) return { ...v, ir: b.add('LeakyRelu', [v.ir], { alpha: float(slope) }, out) };
  const leaky = b.add('LeakyRelu', [v.ir], { alpha: float(slope) }, `${out}/leaky`);
  return { ...v, ir: b.add('Clip', [leaky, '', b.floatInit(`${out}/max`, [], [maxValue])], {}, out) };
}

function leakyRelu(x: LayerInput): DecodedValue {
  const c = cfg(x.layer);
  const alpha =
    c.negative_slope !== undefined
      ? num(x.d, x.layer, 'negative_slope', 0.3)
      : num(x.d, x.layer, 'alpha', 0.3);
  const v = unary(x);
  return { ...v, ir: x.d.b.add('LeakyRelu', [v.ir], { alpha: float(alpha) }, x.out) };
}

function eluLayer(x: LayerInput): DecodedValue {
  const v = unary(x);
  return { ...v, ir: x.d.b.add('Elu', [v.ir], { alpha: float(num(x.d, x.layer, 'alpha', 1)) }, x.out) };
}

function softmaxLayer(x: LayerInput): DecodedValue {
  const v = unary(x);
  let axis = cfg(x.layer).axis ?? -1;
  if (Array.isArray(axis) && axis.length === 1) axis = axis[0];
  if (!Number.isInteger(axis))
    throw x.d.error(
      ErrorCodes.UNSUPPORTED_OP,
      `axis ${JSON.stringify(axis)} is not supported`,
      x.layer,
      'config.axis',
    );
  const a = (axis as number) < 0 ? (axis as number) + v.shape.length : (axis as number);
  if (v.rel.kind === 'flat' && a !== 1)
    throw x.d.error(
      ErrorCodes.UNSUPPORTED_OP,
      'softmax of a flattened input must use axis -1',
      x.layer,
      'config.axis',
    );
  return { ...v, ir: x.d.b.add('Softmax', [v.ir], { axis: irAxis(v, a) }, x.out) };
}

function preluLayer(x: LayerInput): DecodedValue {
  const { d, layer, out } = x;
  const v = unary(x);
  const shared = Array.isArray(cfg(layer).shared_axes) ? (cfg(layer).shared_axes as number[]) : [];
  const alphaShape = v.shape.slice(1).map((n, i) => (shared.includes(i + 1) ? 1 : n));
  const alpha = d.weight(layer, 'alpha', 0, alphaShape as (number | null)[]);
  let slope: Float32Array;
  let dims: number[];
  if (v.rel.kind === 'flat') {
    slope = permuteRows(alpha.values, 1, invertMap(d.columnMap(v.rel)));
    dims = alpha.shape;
  } else {
    const p = v.rel.perm;
    if (p[0] !== 0) throw d.error(ErrorCodes.UNSUPPORTED_OP, 'the batch axis moved', layer, 'input');
    const q = p.slice(1).map((i) => i - 1);
    slope = transposeData(alpha.values, alpha.shape, q);
    dims = q.map((i) => alpha.shape[i]);
  }
  const s = d.b.floatInit(`${layer.name}/alpha`, dims, slope);
  return { ...v, ir: d.b.add('PRelu', [v.ir, s], {}, out) };
}

function identity(x: LayerInput): DecodedValue {
  return unary(x);
}

/** Brings merge inputs to one relation: shared when they agree, else NCHW for images and Keras layout otherwise. */
function common(
  d: DecodeContext,
  layer: KerasLayer,
  inputs: DecodedValue[],
): { names: string[]; rel: Relation } {
  if (inputs.length < 2)
    throw d.error(
      ErrorCodes.MODEL_INVALID,
      `a merge layer needs at least 2 inputs, got ${inputs.length}`,
      layer,
      'inbound_nodes',
    );
  const rank = inputs[0].shape.length;
  if (inputs.some((v) => v.shape.length !== rank)) {
    throw d.error(
      ErrorCodes.UNSUPPORTED_OP,
      `inputs of ranks ${inputs.map((v) => v.shape.length).join(', ')} (merging different ranks is not supported)`,
      layer,
      'inbound_nodes',
    );
  }
  if (inputs.every((v) => sameRelation(v.rel, inputs[0].rel)))
    return { names: inputs.map((v) => v.ir), rel: inputs[0].rel };
  if (rank === 4) return { names: inputs.map((v) => d.asNchw(v, layer)), rel: NCHW };
  return { names: inputs.map((v) => d.asKeras(v)), rel: sameLayout(rank) };
}

function broadcastShape(inputs: DecodedValue[]): Dim[] {
  return inputs[0].shape.map((_, i) => {
    const dims = inputs.map((v) => v.shape[i]);
    return dims.find((n) => typeof n === 'number' && n !== 1) ?? dims.find((n) => n !== 1) ?? dims[0];
  });
}

function merge(opType: 'Add' | 'Mul' | 'Sub' | 'Mean' | 'Max' | 'Min'): LayerHandler {
  return ({ d, layer, inputs, out }) => {
    const { names, rel } = common(d, layer, inputs);
    if (opType === 'Sub' && names.length !== 2)
      throw d.error(ErrorCodes.MODEL_INVALID, 'Subtract needs exactly 2 inputs', layer, 'inbound_nodes');
    let y: string;
    if (opType === 'Add' || opType === 'Mul') {
      y = names[0];
      for (let i = 1; i < names.length; i++)
        y = d.b.add(opType, [y, names[i]], {}, i === names.length - 1 ? out : `${out}/${i}`);
    } else y = d.b.add(opType, names, {}, out);
    return { ir: y, shape: broadcastShape(inputs), rel };
  };
}

function concatenate({ d, layer, inputs, out }: LayerInput): DecodedValue {
  const rank = inputs[0]?.shape.length ?? 0;
  const axis = num(d, layer, 'axis', -1);
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 1 || a >= rank)
    throw d.error(ErrorCodes.UNSUPPORTED_OP, `axis ${axis} is not a feature axis`, layer, 'config.axis');
  const flat = inputs.map((v) =>
    v.rel.kind === 'flat' ? { ...v, ir: d.asKeras(v), rel: sameLayout(2) } : v,
  );
  const { names, rel } = common(d, layer, flat);
  const irA = rel.kind === 'perm' ? rel.perm.indexOf(a) : a;
  const shape = [...inputs[0].shape];
  shape[a] = inputs.every((v) => typeof v.shape[a] === 'number')
    ? inputs.reduce((s, v) => s + (v.shape[a] as number), 0)
    : null;
  return { ir: d.b.add('Concat', names, { axis: irA }, out), shape, rel };
}

/**
 * Layer handlers by Keras class name. Inference-only layers (dropout, noise) decode to nothing.
 *
 * @example
 * LAYER_HANDLERS.has('Conv2D'); // true
 */
export const LAYER_HANDLERS: ReadonlyMap<string, LayerHandler> = new Map<string, LayerHandler>([
  ['Conv2D', conv2d],
  ['Convolution2D', conv2d],
  ['DepthwiseConv2D', depthwiseConv2d],
  ['SeparableConv2D', separableConv2d],
  ['SeparableConvolution2D', separableConv2d],
  ['Dense', dense],
  ['BatchNormalization', batchNorm],
  ['MaxPooling2D', pool('MaxPool')],
  ['MaxPool2D', pool('MaxPool')],
  ['AveragePooling2D', pool('AveragePool')],
  ['AvgPool2D', pool('AveragePool')],
  ['GlobalAveragePooling2D', globalPool('GlobalAveragePool')],
  ['GlobalAvgPool2D', globalPool('GlobalAveragePool')],
  ['GlobalMaxPooling2D', globalPool('GlobalMaxPool')],
  ['GlobalMaxPool2D', globalPool('GlobalMaxPool')],
  ['Flatten', flatten],
  ['Reshape', reshape],
  ['Permute', permute],
  ['ZeroPadding2D', zeroPadding2d],
  ['Activation', activationLayer],
  ['ReLU', reluLayer],
  ['LeakyReLU', leakyRelu],
  ['ELU', eluLayer],
  ['Softmax', softmaxLayer],
  ['PReLU', preluLayer],
  ['Dropout', identity],
  ['SpatialDropout1D', identity],
  ['SpatialDropout2D', identity],
  ['GaussianNoise', identity],
  ['GaussianDropout', identity],
  ['AlphaDropout', identity],
  ['ActivityRegularization', identity],
  ['Add', merge('Add')],
  ['Subtract', merge('Sub')],
  ['Multiply', merge('Mul')],
  ['Average', merge('Mean')],
  ['Maximum', merge('Max')],
  ['Minimum', merge('Min')],
  ['Concatenate', concatenate],
]);
