import { ErrorCodes, MetacompressError } from '@metacompress/core';

/** Integer types a tensor can be quantized to (4- and 2-bit types are stored packed, see `packCodes`). */
export type QuantDataType = 'int8' | 'uint8' | 'int4' | 'uint4' | 'int2' | 'uint2';

/** Every {@link QuantDataType}. */
export const QUANT_DATA_TYPES: readonly QuantDataType[] = ['int8', 'uint8', 'int4', 'uint4', 'int2', 'uint2'];

/** Options shared by the parameter helpers. */
export interface QuantRangeOptions {
  /** Signed types only: drop the most negative level so that the range is symmetric (e.g. [-127, 127]). */
  narrowRange?: boolean;
}

/**
 * Smallest and largest integer level of a quantized type.
 *
 * @example
 * quantRange('int8'); // [-128, 127]
 * quantRange('int8', { narrowRange: true }); // [-127, 127]
 * quantRange('uint4'); // [0, 15]
 */
export function quantRange(dataType: QuantDataType, options: QuantRangeOptions = {}): [number, number] {
  const bits = bitsOfQuantType(dataType);
  if (dataType.startsWith('u')) return [0, 2 ** bits - 1];
  const lo = -(2 ** (bits - 1));
  return [options.narrowRange ? lo + 1 : lo, 2 ** (bits - 1) - 1];
}

/**
 * Bits per element of a quantized type.
 *
 * @example
 * bitsOfQuantType('uint4'); // 4
 */
export function bitsOfQuantType(dataType: QuantDataType): number {
  switch (dataType) {
    case 'int8':
    case 'uint8':
      return 8;
    case 'int4':
    case 'uint4':
      return 4;
    case 'int2':
    case 'uint2':
      return 2;
    default:
      throw new MetacompressError(
        ErrorCodes.UNSUPPORTED_DTYPE,
        `unknown quantized type '${String(dataType)}'`,
        { field: 'dataType' },
      );
  }
}

/**
 * Affine quantization parameters: `real = (q − zeroPoint) · scale`. One entry per tensor, or one per
 * channel along `axis`.
 *
 * @example
 * const p: QuantParams = { dataType: 'uint8', scale: Float32Array.of(0.02), zeroPoint: Int32Array.of(0) };
 */
export interface QuantParams {
  dataType: QuantDataType;
  scale: Float32Array;
  zeroPoint: Int32Array;
  /** Channel axis for per-channel parameters; absent for per-tensor ones. */
  axis?: number;
  /** Levels actually used (narrow range narrows this); default: the full range of `dataType`. */
  qmin?: number;
  qmax?: number;
}

/** Options of {@link computeQuantParams}. */
export interface ComputeQuantParamsOptions extends QuantRangeOptions {
  dataType: QuantDataType;
  /** Zero point at the middle of the range (0 for signed types); the range becomes ±max(|min|, |max|). */
  symmetric?: boolean;
  /** Channel axis, recorded in the result (per-channel ranges). */
  axis?: number;
}

/**
 * Scale and zero point that map the real range `[min, max]` (widened to contain 0, so that zero is
 * exact, as every integer runtime requires) onto the levels of `dataType`. Scales are rounded to
 * float32 before the zero point is derived. A degenerate range (all zeros) gets scale 1.
 * Per-channel when `min`/`max` are arrays.
 *
 * This is the standard affine scheme of Jacob et al., "Quantization and Training of Neural Networks
 * for Efficient Integer-Arithmetic-Only Inference" (CVPR 2018).
 *
 * @example
 * computeQuantParams(0, 6, { dataType: 'uint8' });            // scale 6/255, zero point 0
 * computeQuantParams(-1, 1, { dataType: 'int8', symmetric: true, narrowRange: true }); // scale 1/127, zero point 0
 */
export function computeQuantParams(
  min: number | ArrayLike<number>,
  max: number | ArrayLike<number>,
  options: ComputeQuantParamsOptions,
): QuantParams {
  const mins = typeof min === 'number' ? [min] : Array.from(min);
  const maxs = typeof max === 'number' ? [max] : Array.from(max);
  if (mins.length !== maxs.length || mins.length === 0) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `${mins.length} minimums for ${maxs.length} maximums`,
      { field: 'range' },
    );
  }
  const [qmin, qmax] = quantRange(options.dataType, options);
  const scale = new Float32Array(mins.length);
  const zeroPoint = new Int32Array(mins.length);
  for (let i = 0; i < mins.length; i++) {
    let lo = Math.min(mins[i], 0);
    let hi = Math.max(maxs[i], 0);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      throw new MetacompressError(ErrorCodes.NAN_WEIGHTS, `range [${mins[i]}, ${maxs[i]}] is not finite`, {
        field: `range[${i}]`,
      });
    }
    if (options.symmetric) {
      const m = Math.max(-lo, hi);
      lo = -m;
      hi = m;
    }
    if (hi - lo === 0) {
      scale[i] = 1;
      zeroPoint[i] = options.symmetric ? symmetricZeroPoint(qmin, qmax) : qmin;
      continue;
    }
    if (options.symmetric) {
      // Half the levels on each side of the middle level.
      const half = Math.floor((qmax - qmin) / 2);
      const s = Math.fround(hi / half);
      scale[i] = s > 0 ? s : Number.MIN_VALUE;
      zeroPoint[i] = symmetricZeroPoint(qmin, qmax);
    } else {
      const s = Math.fround((hi - lo) / (qmax - qmin));
      scale[i] = s > 0 ? s : Number.MIN_VALUE;
      zeroPoint[i] = clamp(Math.round(qmin - lo / scale[i]), qmin, qmax);
    }
  }
  const params: QuantParams = { dataType: options.dataType, scale, zeroPoint, qmin, qmax };
  if (options.axis !== undefined) params.axis = options.axis;
  return params;
}

function symmetricZeroPoint(qmin: number, qmax: number): number {
  // 0 for signed types, the middle level (128 for uint8, 8 for uint4) for unsigned ones.
  return qmin < 0 ? 0 : Math.ceil((qmax - qmin) / 2) + qmin;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Rounds half to even, as ONNX QuantizeLinear (and numpy) do.
 *
 * @example
 * roundHalfEven(2.5); // 2
 * roundHalfEven(3.5); // 4
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Elements that share one channel's parameters: channel of element `i` is `floor(i / inner) % channels`. */
function channelLayout(
  dims: readonly number[] | undefined,
  params: QuantParams,
  length: number,
): { inner: number; channels: number } {
  const channels = params.scale.length;
  if (params.axis === undefined || channels === 1) return { inner: length, channels: 1 };
  if (!dims)
    throw new MetacompressError(ErrorCodes.INVALID_ARGUMENT, 'per-channel parameters need the tensor dims', {
      field: 'dims',
    });
  const axis = params.axis < 0 ? params.axis + dims.length : params.axis;
  if (dims[axis] !== channels) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `${channels} channel parameters for dims [${dims.join(', ')}] on axis ${params.axis}`,
      {
        field: 'axis',
      },
    );
  }
  let inner = 1;
  for (let d = axis + 1; d < dims.length; d++) inner *= dims[d];
  return { inner, channels };
}

/**
 * Quantizes real values to integer levels: `clamp(roundHalfEven(x / scale) + zeroPoint, qmin, qmax)`.
 *
 * @example
 * const p = computeQuantParams(0, 2.55, { dataType: 'uint8' });
 * quantizeValues(Float32Array.of(0, 1, 9), p); // Int32Array [0, 100, 255]
 */
export function quantizeValues(
  values: ArrayLike<number>,
  params: QuantParams,
  dims?: readonly number[],
): Int32Array {
  const [qmin, qmax] = levels(params);
  const { inner, channels } = channelLayout(dims, params, values.length);
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
    out[i] = clamp(roundHalfEven(values[i] / params.scale[c]) + params.zeroPoint[c], qmin, qmax);
  }
  return out;
}

/**
 * Real values of integer levels: `(q − zeroPoint) · scale`.
 *
 * @example
 * dequantizeValues(Int32Array.of(0, 100), computeQuantParams(0, 2.55, { dataType: 'uint8' })); // ≈ [0, 1]
 */
export function dequantizeValues(
  levelsIn: ArrayLike<number>,
  params: QuantParams,
  dims?: readonly number[],
): Float32Array {
  const { inner, channels } = channelLayout(dims, params, levelsIn.length);
  const out = new Float32Array(levelsIn.length);
  for (let i = 0; i < levelsIn.length; i++) {
    const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
    out[i] = (levelsIn[i] - params.zeroPoint[c]) * params.scale[c];
  }
  return out;
}

/**
 * `[qmin, qmax]` of parameters (their own, or the full range of their type).
 *
 * @example
 * levels(computeQuantParams(-1, 1, { dataType: 'int8', symmetric: true, narrowRange: true })); // [-127, 127]
 */
export function levels(params: QuantParams): [number, number] {
  const [lo, hi] = quantRange(params.dataType);
  return [params.qmin ?? lo, params.qmax ?? hi];
}
