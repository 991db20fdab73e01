import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { float16BitsToFloat32 } from '../float16';
import { elementCount } from '../tensor';
import type { TfjsWeightSpec, TfjsWeightsGroup } from './model-json';

/**
 * TF.js splits weight files at 4 MiB (the converter's and `tf.io` default shard size).
 *
 * @example
 * shardPaths(weightData.byteLength, DEFAULT_SHARD_BYTES);
 */
export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

/**
 * One decoded weight: its Keras shape and its values as float32 (dequantized).
 *
 * @example
 * const w: TfjsWeightValue = { name: 'dense/bias', shape: [2], values: new Float32Array(2) };
 */
export interface TfjsWeightValue {
  name: string;
  shape: number[];
  values: Float32Array;
}

const STORED_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

function storedType(spec: TfjsWeightSpec): string {
  return spec.quantization?.dtype ?? spec.dtype;
}

/**
 * Bytes a weight takes in the weight data (after quantization).
 *
 * @example
 * weightByteLength({ name: 'k', shape: [3, 3], dtype: 'float32' }); // 36
 */
export function weightByteLength(spec: TfjsWeightSpec, file?: string): number {
  const count = elementCount(spec.shape, { file, field: `weight '${spec.name}'.shape` });
  return count * STORED_BYTES[storedType(spec)];
}

function decodeOne(spec: TfjsWeightSpec, bytes: Uint8Array): Float32Array {
  const count = elementCount(spec.shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  const q = spec.quantization;
  const type = storedType(spec);
  if (q && q.dtype !== 'float16') {
    const scale = q.scale ?? 1;
    const min = q.min ?? 0;
    for (let i = 0; i < count; i++)
      out[i] = (q.dtype === 'uint8' ? view.getUint8(i) : view.getUint16(i * 2, true)) * scale + min;
    // TF.js rounds dequantized integer weights back to integers.
    if (spec.dtype === 'int32') for (let i = 0; i < count; i++) out[i] = Math.round(out[i]);
    return out;
  }
  switch (type) {
    case 'float32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'int32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'float16':
      for (let i = 0; i < count; i++) out[i] = float16BitsToFloat32(view.getUint16(i * 2, true));
      break;
    case 'bool':
    case 'uint8':
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
      break;
    default:
      throw new MetacompressError(
        ErrorCodes.UNSUPPORTED_DTYPE,
        `weight '${spec.name}' has unsupported dtype ${type}`,
        { field: `weight '${spec.name}'.dtype` },
      );
  }
  return out;
}

/**
 * Decodes every weight of a manifest from the concatenated weight data (all groups' shards in
 * manifest order, as TF.js reads them), dequantizing `uint8`/`uint16`/`float16`-quantized weights.
 * Checks the whole length first: data shorter than the manifest says throws `MC_ONNX_TRUNCATED`
 * (`ErrorCodes.MODEL_TRUNCATED`) naming the first weight that does not fit.
 *
 * @example
 * const weights = readTfjsWeights(json.weightsManifest, bytes, { file: 'model.json' });
 * weights.get('dense/kernel')?.shape; // [784, 10]
 */
export function readTfjsWeights(
  groups: readonly TfjsWeightsGroup[],
  data: Uint8Array,
  where: { file?: string } = {},
): Map<string, TfjsWeightValue> {
  const specs = groups.flatMap((g) => g.weights);
  let offset = 0;
  const placed: { spec: TfjsWeightSpec; offset: number; length: number }[] = [];
  for (const spec of specs) {
    const length = weightByteLength(spec, where.file);
    if (offset + length > data.byteLength) {
      throw new MetacompressError(
        ErrorCodes.MODEL_TRUNCATED,
        `the weight data ends at byte ${data.byteLength} but weight '${spec.name}' needs bytes ${offset}..${offset + length}` +
          ` (the manifest needs ${specs.reduce((a, s) => a + weightByteLength(s, where.file), 0)} bytes in all)`,
        { file: where.file, field: `weight '${spec.name}'` },
      );
    }
    placed.push({ spec, offset, length });
    offset += length;
  }
  const out = new Map<string, TfjsWeightValue>();
  for (const { spec, offset: at, length } of placed) {
    if (out.has(spec.name)) {
      throw new MetacompressError(
        ErrorCodes.MODEL_INVALID,
        `the weights manifest lists '${spec.name}' twice`,
        { file: where.file, field: 'weightsManifest' },
      );
    }
    out.set(spec.name, {
      name: spec.name,
      shape: [...spec.shape],
      values: decodeOne(spec, data.subarray(at, at + length)),
    });
  }
  return out;
}

/**
 * Packs float32 weights into one little-endian buffer and its manifest entries, in order.
 *
 * @example
 * const { specs, data } = packTfjsWeights([{ name: 'd/kernel', shape: [2, 2], values: new Float32Array(4) }]);
 * data.byteLength; // 16
 */
export function packTfjsWeights(weights: readonly TfjsWeightValue[]): {
  specs: TfjsWeightSpec[];
  data: Uint8Array;
} {
  const total = weights.reduce((a, w) => a + w.values.length * 4, 0);
  const data = new Uint8Array(total);
  const view = new DataView(data.buffer);
  let offset = 0;
  const specs: TfjsWeightSpec[] = [];
  for (const w of weights) {
    for (let i = 0; i < w.values.length; i++) view.setFloat32(offset + i * 4, w.values[i], true);
    offset += w.values.length * 4;
    specs.push({ name: w.name, shape: [...w.shape], dtype: 'float32' });
  }
  return { specs, data };
}

/**
 * Shard file names as TF.js writes them: `group1-shard1of3.bin`, ... (at least one, even for no data).
 *
 * @example
 * shardPaths(9_000_000); // ['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']
 */
export function shardPaths(
  byteLength: number,
  shardBytes: number = DEFAULT_SHARD_BYTES,
  group = 1,
): string[] {
  if (!(Number.isInteger(shardBytes) && shardBytes > 0)) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `shardBytes must be a positive integer, got ${shardBytes}`,
      { field: 'shardBytes' },
    );
  }
  const count = Math.max(1, Math.ceil(byteLength / shardBytes));
  return Array.from({ length: count }, (_, i) => `group${group}-shard${i + 1}of${count}.bin`);
}
