import * as tf from '@tensorflow/tfjs-core';
import { ErrorCodes, MetacompressError, describe } from '@metacompress/core';

/**
 * Fake quantization of one weight (an initializer) or activation (a computed value) during
 * quantization-aware training: the forward pass sees `dequantize(quantize(x))`, the backward pass
 * the straight-through estimator (Bengio et al. 2013; Jacob et al. 2018, "Quantization and
 * Training of Neural Networks for Efficient Integer-Arithmetic-Only Inference"): the gradient
 * passes unchanged where `x` lies inside the representable range and is zero where it was clipped.
 *
 * Without `scale`, the range follows the tensor (its current min/max, per channel along `axis`)
 * at every step — right for weights; activations should pass calibrated `scale`/`zeroPoint`.
 *
 * @example
 * const w: FakeQuantSpec = { target: 'conv1.weight', bits: 8, symmetric: true, axis: 0 };
 * const a: FakeQuantSpec = { target: 'relu1_out', bits: 8, symmetric: false, scale: 0.02, zeroPoint: 0 };
 */
export interface FakeQuantSpec {
  /** Initializer name (a weight) or value name (an activation). */
  target: string;
  /** Bits of the integer grid, 2–16. */
  bits: number;
  /** Symmetric grid around 0 (`[-(2^(b-1) - 1), 2^(b-1) - 1]`, zero point 0) or asymmetric (`[0, 2^b - 1]`). Default true. */
  symmetric?: boolean;
  /** Per-channel quantization along this axis; absent: per-tensor. */
  axis?: number;
  /** Fixed scale(s) (one per channel along `axis`, or one); absent: from the tensor's range each step. */
  scale?: number | readonly number[];
  /** Fixed zero point(s), with `scale`; default 0. */
  zeroPoint?: number | readonly number[];
}

function bad(field: string, expected: string, value: unknown, target?: string): never {
  throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, `expected ${expected}, got ${describe(value)}`, {
    field: `fakeQuant.${field}`,
    ...(target ? { node: target } : {}),
  });
}

/**
 * Validates a fake-quant spec; errors name the field and the target.
 *
 * @example
 * checkFakeQuantSpec({ target: 'w', bits: 1 }); // throws MC_UNSUPPORTED_BITS
 */
export function checkFakeQuantSpec(spec: FakeQuantSpec): void {
  if (typeof spec?.target !== 'string' || spec.target === '')
    bad('target', 'a value or initializer name', spec?.target);
  if (!Number.isInteger(spec.bits) || spec.bits < 2 || spec.bits > 16) {
    throw new MetacompressError(
      ErrorCodes.UNSUPPORTED_BITS,
      `fake quantization supports 2 to 16 bits, got ${describe(spec.bits)}`,
      {
        field: 'fakeQuant.bits',
        node: spec.target,
      },
    );
  }
  if (spec.axis !== undefined && (!Number.isInteger(spec.axis) || spec.axis < 0))
    bad('axis', 'a non-negative integer', spec.axis, spec.target);
  const scales = spec.scale === undefined ? [] : typeof spec.scale === 'number' ? [spec.scale] : spec.scale;
  for (const s of scales)
    if (typeof s !== 'number' || !(s > 0) || !Number.isFinite(s)) bad('scale', 'scales > 0', s, spec.target);
  if (spec.zeroPoint !== undefined && spec.scale === undefined)
    bad('zeroPoint', 'a zero point only together with a scale', spec.zeroPoint, spec.target);
}

/**
 * Integer grid of a spec.
 *
 * @example
 * gridOf({ bits: 4 }); // { qmin: -7, qmax: 7 }
 */
export function gridOf(spec: Pick<FakeQuantSpec, 'bits' | 'symmetric'>): { qmin: number; qmax: number } {
  return (spec.symmetric ?? true)
    ? { qmin: -(2 ** (spec.bits - 1) - 1), qmax: 2 ** (spec.bits - 1) - 1 }
    : { qmin: 0, qmax: 2 ** spec.bits - 1 };
}

/** Broadcast shape of per-channel parameters along `axis` of a tensor of `rank`. */
function channelShape(rank: number, axis: number, n: number): number[] {
  return Array.from({ length: rank }, (_, i) => (i === axis ? n : 1));
}

/**
 * Scale and zero point of `x` under `spec` (computed from its range when the spec has no scale).
 * Returned tensors broadcast against `x`.
 */
function qparams(x: tf.Tensor, spec: FakeQuantSpec): { scale: tf.Tensor; zeroPoint: tf.Tensor } {
  const { qmin, qmax } = gridOf(spec);
  const axis = spec.axis;
  if (axis !== undefined && axis >= x.rank)
    bad('axis', `an axis below the rank ${x.rank} of '${spec.target}'`, axis, spec.target);
  const channels = axis === undefined ? 1 : x.shape[axis]!;
  const shape = axis === undefined ? [] : channelShape(x.rank, axis, channels);
  if (spec.scale !== undefined) {
    const s = typeof spec.scale === 'number' ? [spec.scale] : [...spec.scale];
    const z =
      spec.zeroPoint === undefined
        ? [0]
        : typeof spec.zeroPoint === 'number'
          ? [spec.zeroPoint]
          : [...spec.zeroPoint];
    const n = axis === undefined ? 1 : channels;
    if ((s.length !== 1 && s.length !== n) || (z.length !== 1 && z.length !== n)) {
      throw new MetacompressError(
        ErrorCodes.SHAPE_MISMATCH,
        `${s.length} scales / ${z.length} zero points for ${n} channels`,
        {
          field: 'fakeQuant.scale',
          node: spec.target,
        },
      );
    }
    const pick = (v: number[]) => (v.length === 1 ? tf.scalar(v[0]!) : tf.reshape(tf.tensor1d(v), shape));
    return { scale: pick(s), zeroPoint: pick(z) };
  }
  const reduceAxes =
    axis === undefined ? undefined : Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== axis);
  const keep = axis !== undefined;
  const lo = tf.minimum(tf.min(x, reduceAxes, keep), 0);
  const hi = tf.maximum(tf.max(x, reduceAxes, keep), 0);
  const tiny = 1e-12;
  if (spec.symmetric ?? true) {
    const scale = tf.maximum(tf.div(tf.maximum(tf.abs(lo), hi), qmax), tiny);
    return { scale, zeroPoint: tf.zerosLike(scale) };
  }
  const scale = tf.maximum(tf.div(tf.sub(hi, lo), qmax - qmin), tiny);
  const zeroPoint = tf.clipByValue(tf.round(tf.sub(qmin, tf.div(lo, scale))), qmin, qmax);
  return { scale, zeroPoint };
}

/**
 * Applies fake quantization with a straight-through estimator (see {@link FakeQuantSpec}).
 * Quantization parameters are constants to the gradient; rounding is half-to-even, as ONNX
 * QuantizeLinear does.
 *
 * @example
 * const wq = fakeQuantize(w, { target: 'fc.weight', bits: 4 }); // 15 levels, symmetric
 */
export function fakeQuantize(x: tf.Tensor, spec: FakeQuantSpec): tf.Tensor {
  checkFakeQuantSpec(spec);
  const { qmin, qmax } = gridOf(spec);
  const { scale, zeroPoint } = tf.tidy(() => qparams(x, spec));
  const op = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const q = tf.add(tf.round(tf.div(input, scale)), zeroPoint);
    const inRange = tf.logicalAnd(tf.greaterEqual(q, qmin), tf.lessEqual(q, qmax));
    save([inRange]);
    const value = tf.mul(tf.sub(tf.clipByValue(q, qmin, qmax), zeroPoint), scale);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.cast(saved[0]!, 'float32')),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const out = op(x);
  scale.dispose();
  zeroPoint.dispose();
  return out;
}
