import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { levels, roundHalfEven, type QuantParams } from './qparams';
import {
  groupFunction,
  quantizeWeight,
  type QuantizedWeight,
  type WeightRangeMethod,
  type WeightScheme,
} from './weight-quantizers';

/**
 * Which tensor of a graph gets fake quantization during quantization-aware training, and how.
 * Plain JSON, so a differentiable executor (backend-tfjs) can apply it without importing this
 * package's internals: the forward is {@link fakeQuantize}, the gradient {@link fakeQuantizeGrad}.
 *
 * - `affine`: `y = (clamp(round(x / s) + z, qmin, qmax) − z) · s` per channel (or per tensor).
 * - `binary`: `y = α · sign(x)` (x ≥ 0 counts as +) per channel.
 * - `ternary`: `y = α · t`, `t = 1 if x > Δ, −1 if x < −Δ, else 0` per channel.
 *
 * @example
 * const spec: FakeQuantSpec = { tensor: 'relu1_out', kind: 'activation', scheme: 'affine', bits: 8, qmin: 0, qmax: 255, scale: [0.02], zeroPoint: [0] };
 */
export interface FakeQuantSpec {
  /** Initializer name (weights) or value name (activations). */
  tensor: string;
  kind: 'weight' | 'activation';
  scheme: 'affine' | 'binary' | 'ternary';
  bits: number;
  qmin: number;
  qmax: number;
  /** One scale per channel along `axis` (α for binary/ternary), or one for the tensor. */
  scale: number[];
  /** Zero points (affine), in integer levels. */
  zeroPoint: number[];
  /** Channel axis of per-channel parameters. */
  axis?: number;
  /** Ternary thresholds Δ per channel. */
  threshold?: number[];
  /** The node that reads the weight (for reports). */
  node?: string;
}

function channelOf(
  spec: FakeQuantSpec,
  dims: readonly number[] | undefined,
  length: number,
): (i: number) => number {
  const n = spec.scale.length;
  if (n === 1) return () => 0;
  if (spec.axis === undefined || !dims) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `per-channel fake quantization of '${spec.tensor}' needs an axis and the tensor dims`,
      { field: spec.tensor },
    );
  }
  const axis = spec.axis < 0 ? spec.axis + dims.length : spec.axis;
  if (dims[axis] !== n || dims.reduce((a, b) => a * b, 1) !== length) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `${n} channel parameters of '${spec.tensor}' do not fit dims [${dims.join(', ')}] on axis ${spec.axis}`,
      {
        field: spec.tensor,
      },
    );
  }
  let inner = 1;
  for (let d = axis + 1; d < dims.length; d++) inner *= dims[d];
  return (i) => Math.floor(i / inner) % n;
}

/**
 * The fake-quantization forward: values quantized and dequantized again, in float32, as the
 * deployed integer model will see them (rounding half to even, like QuantizeLinear).
 *
 * @example
 * fakeQuantize(Float32Array.of(0.013, 9), { tensor: 'x', kind: 'activation', scheme: 'affine', bits: 8, qmin: 0, qmax: 255, scale: [0.02], zeroPoint: [0] });
 * // Float32Array [0.02, 5.1]
 */
export function fakeQuantize(
  x: ArrayLike<number>,
  spec: FakeQuantSpec,
  dims?: readonly number[],
): Float32Array {
  const ch = channelOf(spec, dims, x.length);
  const out = new Float32Array(x.length);
  switch (spec.scheme) {
    case 'affine':
      for (let i = 0; i < x.length; i++) {
        const c = ch(i);
        const s = spec.scale[c];
        const z = spec.zeroPoint[c] ?? 0;
        let q = roundHalfEven(x[i] / s) + z;
        q = q < spec.qmin ? spec.qmin : q > spec.qmax ? spec.qmax : q;
        out[i] = (q - z) * s;
      }
      return out;
    case 'binary':
      for (let i = 0; i < x.length; i++) out[i] = x[i] >= 0 ? spec.scale[ch(i)] : -spec.scale[ch(i)];
      return out;
    case 'ternary':
      for (let i = 0; i < x.length; i++) {
        const c = ch(i);
        const d = spec.threshold?.[c] ?? 0;
        out[i] = x[i] > d ? spec.scale[c] : x[i] < -d ? -spec.scale[c] : 0;
      }
      return out;
    default:
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `unknown fake-quant scheme '${String(spec.scheme)}'`,
        { field: spec.tensor },
      );
  }
}

/**
 * The straight-through estimator (Bengio et al., "Estimating or Propagating Gradients Through
 * Stochastic Neurons", 2013) of fake quantization: the rounding is treated as the identity, so
 * `dL/dx = dL/dy` where `x` falls inside the quantization range and 0 where it is clipped
 * (the clipped STE of Jacob et al., CVPR 2018). For binary and ternary weights the gradient passes
 * unchanged to the latent float weights (as in XNOR-Net and TWN training).
 *
 * @example
 * fakeQuantizeGrad(x, upstream, spec, dims); // upstream with clipped elements zeroed
 */
export function fakeQuantizeGrad(
  x: ArrayLike<number>,
  dy: ArrayLike<number>,
  spec: FakeQuantSpec,
  dims?: readonly number[],
): Float32Array {
  if (dy.length !== x.length)
    throw new MetacompressError(ErrorCodes.SHAPE_MISMATCH, `${dy.length} gradients for ${x.length} values`, {
      field: spec.tensor,
    });
  const out = Float32Array.from(dy);
  if (spec.scheme !== 'affine') return out;
  const ch = channelOf(spec, dims, x.length);
  for (let i = 0; i < x.length; i++) {
    const c = ch(i);
    const v = x[i] / spec.scale[c] + (spec.zeroPoint[c] ?? 0);
    // Inside [qmin − ½, qmax + ½] rounding keeps the value; beyond it the clamp cuts the gradient.
    if (v < spec.qmin - 0.5 || v > spec.qmax + 0.5) out[i] = 0;
  }
  return out;
}

/** Options of {@link weightFakeQuantSpec}. */
export interface WeightFakeQuantOptions {
  scheme: Exclude<WeightScheme, 'fp16'>;
  axis?: number;
  method?: WeightRangeMethod;
  node?: string;
}

/**
 * A fake-quant spec for a weight, with parameters computed from its current values (recompute it
 * after weight updates during QAT, as the deployed weights will use the final values).
 *
 * @example
 * const spec = weightFakeQuantSpec('conv1.weight', values, [16, 1, 3, 3], { scheme: 'int8' });
 */
export function weightFakeQuantSpec(
  tensor: string,
  values: ArrayLike<number>,
  dims: readonly number[],
  options: WeightFakeQuantOptions,
): FakeQuantSpec {
  const q: QuantizedWeight = quantizeWeight(values, dims, {
    scheme: options.scheme,
    axis: options.axis ?? 0,
    method: options.method,
    name: tensor,
  });
  const base = {
    tensor,
    kind: 'weight' as const,
    bits: q.bits,
    axis: q.axis,
    ...(options.node ? { node: options.node } : {}),
  };
  if (q.scheme === 'binary') {
    return {
      ...base,
      scheme: 'binary',
      qmin: 0,
      qmax: 1,
      scale: Array.from(q.scale, (s) => s / 2),
      zeroPoint: Array.from(q.zeroPoint),
    };
  }
  if (q.scheme === 'ternary') {
    // Recover each channel's threshold Δ = 0.7 · mean |w| as quantizeWeight chose it.
    const groupOf = groupFunction(q);
    const sums = new Float64Array(q.scale.length);
    const counts = new Float64Array(q.scale.length);
    for (let i = 0; i < values.length; i++) {
      sums[groupOf(i)] += Math.abs(values[i]);
      counts[groupOf(i)]++;
    }
    return {
      ...base,
      scheme: 'ternary',
      qmin: 0,
      qmax: 2,
      scale: Array.from(q.scale),
      zeroPoint: Array.from(q.zeroPoint),
      threshold: Array.from(sums, (s, c) => (counts[c] ? (0.7 * s) / counts[c] : 0)),
    };
  }
  return {
    ...base,
    scheme: 'affine',
    qmin: q.codeRange[0],
    qmax: q.codeRange[1],
    scale: Array.from(q.scale),
    zeroPoint: Array.from(q.zeroPoint),
  };
}

/**
 * A fake-quant spec for an activation from its calibrated parameters.
 *
 * @example
 * activationFakeQuantSpec('relu1_out', observer.params({ dataType: 'uint8' }));
 */
export function activationFakeQuantSpec(tensor: string, params: QuantParams): FakeQuantSpec {
  const [qmin, qmax] = levels(params);
  const spec: FakeQuantSpec = {
    tensor,
    kind: 'activation',
    scheme: 'affine',
    bits: params.dataType.endsWith('8') ? 8 : 4,
    qmin,
    qmax,
    scale: Array.from(params.scale),
    zeroPoint: Array.from(params.zeroPoint),
  };
  if (params.axis !== undefined) spec.axis = params.axis;
  return spec;
}
