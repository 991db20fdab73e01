import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { computeQuantParams, quantRange, roundHalfEven, type QuantDataType } from './qparams';

/**
 * How weights are stored: affine integers of 8, 4 or 2 bits (`int8` … `uint4`), ternary
 * {−α, 0, α} or binary {−α, α} per channel, or float16.
 */
export type WeightScheme = 'int8' | 'uint8' | 'int4' | 'uint4' | 'ternary' | 'binary' | 'fp16';

/** Every {@link WeightScheme}. */
export const WEIGHT_SCHEMES: readonly WeightScheme[] = [
  'int8',
  'uint8',
  'int4',
  'uint4',
  'ternary',
  'binary',
  'fp16',
];

/** How a per-channel range of weights is chosen. */
export type WeightRangeMethod = 'minmax' | 'mse';

/** Options of {@link quantizeWeight}. */
export interface QuantizeWeightOptions {
  scheme: Exclude<WeightScheme, 'fp16'>;
  /** Channel axis: one scale per output channel (default 0). */
  axis?: number;
  /** One scale for the whole tensor instead of per channel. */
  perTensor?: boolean;
  /** Affine schemes: zero point 0 / middle level and a range symmetric around 0 (default true). */
  symmetric?: boolean;
  /** Affine schemes: `minmax` (default) or `mse` (clipping that minimizes the squared error per channel). */
  method?: WeightRangeMethod;
  /**
   * Affine schemes: one scale per block of this many consecutive elements within a channel
   * (channel axis 0 only; must divide the elements per channel). Default: per channel.
   */
  blockSize?: number;
  /** Named in errors. */
  name?: string;
}

/**
 * Weights as integer codes with per-channel (or per-block) affine decoding:
 * `w ≈ (code − zeroPoint[g]) · scale[g]` where `g` is the channel (or block) of the element.
 *
 * @example
 * const q = quantizeWeight(values, [16, 8, 3, 3], { scheme: 'int8' });
 * q.codes.length === values.length; q.scale.length; // 16
 */
export interface QuantizedWeight {
  scheme: Exclude<WeightScheme, 'fp16'>;
  dims: readonly number[];
  /** Channel axis of the parameters (0 for blocks). */
  axis: number;
  /** Elements per parameter group along the channel's elements (blocks), or undefined for whole channels. */
  blockSize?: number;
  /** Integer code of every element (signed for `int*` schemes, ≥ 0 otherwise). */
  codes: Int32Array;
  /** Scale per group (channel or block; one entry when per tensor). */
  scale: Float32Array;
  /** Zero point per group (real-valued: 0.5 for binary). */
  zeroPoint: Float32Array;
  /** Smallest and largest code the scheme allows. */
  codeRange: [number, number];
  /** Bits per stored code. */
  bits: number;
}

const AFFINE: Record<string, QuantDataType> = { int8: 'int8', uint8: 'uint8', int4: 'int4', uint4: 'uint4' };

/**
 * Bits each scheme stores per weight.
 *
 * @example
 * bitsOfScheme('ternary'); // 2
 */
export function bitsOfScheme(scheme: WeightScheme): number {
  switch (scheme) {
    case 'int8':
    case 'uint8':
      return 8;
    case 'int4':
    case 'uint4':
      return 4;
    case 'ternary':
      return 2;
    case 'binary':
      return 1;
    case 'fp16':
      return 16;
  }
}

/**
 * Throws `MC_NAN_WEIGHTS` when a weight tensor holds NaN or infinity.
 *
 * @example
 * checkFinite(values, { node: 'conv1', field: 'conv1.weight' });
 */
export function checkFinite(
  values: ArrayLike<number>,
  where: { node?: string; opType?: string; field?: string } = {},
): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new MetacompressError(
        ErrorCodes.NAN_WEIGHTS,
        `weight element ${i} is ${values[i]}; quantization needs finite weights`,
        where,
      );
    }
  }
}

interface Layout {
  groups: number;
  /** Group of element `i`. */
  groupOf: (i: number) => number;
  channels: number;
}

function layoutOf(
  dims: readonly number[],
  axis: number,
  perTensor: boolean,
  blockSize: number | undefined,
  name: string,
): Layout {
  const length = dims.reduce((a, b) => a * b, 1);
  if (perTensor) return { groups: 1, groupOf: () => 0, channels: 1 };
  if (axis < 0 || axis >= Math.max(dims.length, 1)) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `axis ${axis} is outside weight dims [${dims.join(', ')}]`,
      { field: `${name}.axis` },
    );
  }
  const channels = dims.length === 0 ? 1 : dims[axis];
  let inner = 1;
  for (let d = axis + 1; d < dims.length; d++) inner *= dims[d];
  if (blockSize !== undefined) {
    if (axis !== 0 || !Number.isInteger(blockSize) || blockSize < 1 || inner % blockSize !== 0) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `block size ${blockSize} needs channel axis 0 and must divide the ${inner} elements per channel of [${dims.join(', ')}]`,
        { field: `${name}.blockSize` },
      );
    }
    return { groups: length / blockSize, groupOf: (i) => Math.floor(i / blockSize), channels };
  }
  return { groups: channels, groupOf: (i) => Math.floor(i / inner) % channels, channels };
}

/**
 * Quantizes a weight tensor to integer codes with per-channel (or per-block, or per-tensor)
 * parameters.
 *
 * - affine (`int8`, `uint8`, `int4`, `uint4`): symmetric ones use the narrow signed range
 *   (±127, ±7) or the middle level as zero point; `method: 'mse'` searches the clipping range per
 *   group that minimizes the squared error (as in Banner et al., "Post-training 4-bit quantization
 *   of convolution networks for rapid-deployment", NeurIPS 2019).
 * - `binary`: `w ≈ α·sign(w)` with `α = mean |w|` per channel (XNOR-Net, Rastegari et al., ECCV 2016).
 * - `ternary`: `w ≈ α·t`, `t ∈ {−1, 0, 1}`, threshold `Δ = 0.7·mean |w|` and `α` the mean of the
 *   magnitudes above it, per channel (Ternary Weight Networks, Li et al., 2016).
 *
 * @example
 * const q = quantizeWeight(w, [300, 784], { scheme: 'int4', method: 'mse' });
 * dequantizeWeight(q); // the weights the quantized model computes with
 */
export function quantizeWeight(
  values: ArrayLike<number>,
  dims: readonly number[],
  options: QuantizeWeightOptions,
): QuantizedWeight {
  const name = options.name ?? 'weight';
  const scheme = options.scheme;
  checkFinite(values, { field: name });
  const axis = options.axis ?? 0;
  const blockSize = scheme === 'binary' || scheme === 'ternary' ? undefined : options.blockSize;
  const layout = layoutOf(dims, axis, options.perTensor === true, blockSize, name);
  const codes = new Int32Array(values.length);
  const scale = new Float32Array(layout.groups);
  const zeroPoint = new Float32Array(layout.groups);
  // Elements of each group, gathered once.
  const members = groupMembers(values.length, layout);
  const base = {
    scheme,
    dims: [...dims],
    axis: options.perTensor ? 0 : axis,
    codes,
    scale,
    zeroPoint,
  } as const;

  if (scheme === 'binary') {
    for (let g = 0; g < layout.groups; g++) {
      let sum = 0;
      for (const i of members[g]) sum += Math.abs(values[i]);
      const alpha = members[g].length ? sum / members[g].length : 0;
      scale[g] = Math.fround(2 * alpha) || 1;
      zeroPoint[g] = 0.5;
      for (const i of members[g]) codes[i] = values[i] >= 0 ? 1 : 0;
    }
    return { ...base, codeRange: [0, 1], bits: 1 };
  }
  if (scheme === 'ternary') {
    for (let g = 0; g < layout.groups; g++) {
      let sum = 0;
      for (const i of members[g]) sum += Math.abs(values[i]);
      const delta = members[g].length ? (0.7 * sum) / members[g].length : 0;
      let kept = 0;
      let keptSum = 0;
      for (const i of members[g]) {
        const a = Math.abs(values[i]);
        if (a > delta) {
          kept++;
          keptSum += a;
        }
      }
      scale[g] = Math.fround(kept ? keptSum / kept : 0) || 1;
      zeroPoint[g] = 1;
      for (const i of members[g]) codes[i] = values[i] > delta ? 2 : values[i] < -delta ? 0 : 1;
    }
    return { ...base, codeRange: [0, 2], bits: 2 };
  }
  const dataType = AFFINE[scheme];
  if (!dataType)
    throw new MetacompressError(ErrorCodes.UNSUPPORTED_BITS, `unknown weight scheme '${String(scheme)}'`, {
      field: name,
    });
  const symmetric = options.symmetric ?? true;
  const narrowRange = symmetric && dataType.startsWith('int');
  const [qmin, qmax] = quantRange(dataType, { narrowRange });
  const group = new Float64Array(Math.max(...members.map((m) => m.length), 1));
  for (let g = 0; g < layout.groups; g++) {
    const m = members[g];
    let lo = 0;
    let hi = 0;
    for (let k = 0; k < m.length; k++) {
      const v = values[m[k]];
      group[k] = v;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    let best = { lo, hi };
    if (options.method === 'mse' && m.length > 0)
      best = mseClip(group.subarray(0, m.length), lo, hi, dataType, symmetric, narrowRange);
    const p = computeQuantParams(best.lo, best.hi, { dataType, symmetric, narrowRange });
    scale[g] = p.scale[0];
    zeroPoint[g] = p.zeroPoint[0];
    for (const i of m) codes[i] = clampInt(roundHalfEven(values[i] / scale[g]) + zeroPoint[g], qmin, qmax);
  }
  const out: QuantizedWeight = { ...base, codeRange: [qmin, qmax], bits: dataType.endsWith('8') ? 8 : 4 };
  if (blockSize !== undefined) out.blockSize = blockSize;
  return out;
}

function clampInt(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function groupMembers(length: number, layout: Layout): Int32Array[] {
  const counts = new Int32Array(layout.groups);
  for (let i = 0; i < length; i++) counts[layout.groupOf(i)]++;
  const members = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(layout.groups);
  for (let i = 0; i < length; i++) {
    const g = layout.groupOf(i);
    members[g][fill[g]++] = i;
  }
  return members;
}

/** Shrinks `[lo, hi]` by the factor (grid over [0.2, 1]) whose quantization error is least. */
function mseClip(
  values: Float64Array,
  lo: number,
  hi: number,
  dataType: QuantDataType,
  symmetric: boolean,
  narrowRange: boolean,
): { lo: number; hi: number } {
  let best = { lo, hi };
  let bestErr = Infinity;
  const [qmin, qmax] = quantRange(dataType, { narrowRange });
  for (let k = 100; k >= 20; k--) {
    const f = k / 100;
    const p = computeQuantParams(lo * f, hi * f, { dataType, symmetric, narrowRange });
    const s = p.scale[0];
    const z = p.zeroPoint[0];
    let err = 0;
    for (let i = 0; i < values.length; i++) {
      const q = clampInt(roundHalfEven(values[i] / s) + z, qmin, qmax);
      const d = (q - z) * s - values[i];
      err += d * d;
    }
    if (err < bestErr) {
      bestErr = err;
      best = { lo: lo * f, hi: hi * f };
    }
  }
  return best;
}

/**
 * The float weights a quantized weight decodes to.
 *
 * @example
 * const approx = dequantizeWeight(quantizeWeight(w, dims, { scheme: 'ternary' }));
 */
export function dequantizeWeight(q: QuantizedWeight): Float32Array {
  const length = q.codes.length;
  const out = new Float32Array(length);
  const groupOf = groupFunction(q);
  for (let i = 0; i < length; i++) {
    const g = groupOf(i);
    out[i] = (q.codes[i] - q.zeroPoint[g]) * q.scale[g];
  }
  return out;
}

/**
 * Group (parameter index) of each element of a quantized weight: its channel, its block, or 0.
 *
 * @example
 * const groupOf = groupFunction(q);
 * q.scale[groupOf(i)]; // the scale of element i
 */
export function groupFunction(
  q: Pick<QuantizedWeight, 'dims' | 'axis' | 'blockSize' | 'scale'>,
): (i: number) => number {
  if (q.scale.length === 1) return () => 0;
  if (q.blockSize !== undefined) {
    const b = q.blockSize;
    return (i) => Math.floor(i / b);
  }
  let inner = 1;
  for (let d = q.axis + 1; d < q.dims.length; d++) inner *= q.dims[d];
  const channels = q.dims[q.axis];
  return (i) => Math.floor(i / inner) % channels;
}
