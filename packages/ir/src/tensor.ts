import { ErrorCodes, MetacompressError, sizeOf } from '@metacompress/core';
import { byteLengthOf, DataType, dataTypeName } from './dtype';
import { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from './float16';

/** Largest element count a tensor may have (2^31 − 1); larger dims products are rejected. */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** Where a tensor's bytes live when the model stores them beside itself (ONNX external data). */
export interface ExternalDataRef {
  /** Path relative to the model's folder (never absolute, never escaping it). */
  location: string;
  offset?: number;
  length?: number;
  checksum?: string;
}

/**
 * A tensor of the IR, as stored in an ONNX initializer: element type, dims and the little-endian
 * bytes ONNX calls `raw_data` (int4/uint4 packed two per byte, low nibble first; bool one byte each).
 * Tensor bytes are never mutated in place: rewrites create new tensors.
 *
 * @example
 * const w = createTensor('w', DataType.FLOAT, [2, 2], new Float32Array([1, 2, 3, 4]));
 * toFloat32(w); // Float32Array [1, 2, 3, 4]
 */
export interface Tensor {
  name: string;
  dataType: DataType;
  dims: readonly number[];
  /** Little-endian element bytes (absent only for string tensors). */
  raw?: Uint8Array;
  /** Elements of a STRING tensor, as bytes. */
  strings?: readonly Uint8Array[];
  /** Set when the bytes were, or should be, stored as external data. */
  external?: ExternalDataRef;
  docString?: string;
  metadataProps?: readonly { key: string; value: string }[];
}

/**
 * Number of elements of a shape; throws `MC_TENSOR_TOO_LARGE` above 2^31 − 1 or for negative dims.
 *
 * @example
 * elementCount([3, 4], { field: 'dims' }); // 12
 */
export function elementCount(dims: readonly number[], where: { file?: string; node?: string; field?: string } = {}): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) {
      throw new MetacompressError(ErrorCodes.MODEL_INVALID, `invalid dimension ${d} in [${dims.join(', ')}]`, where);
    }
    n *= d;
    if (n > MAX_ELEMENTS) {
      throw new MetacompressError(
        ErrorCodes.TENSOR_TOO_LARGE,
        `dims [${dims.join(', ')}] hold more than 2^31 - 1 elements`,
        where,
      );
    }
  }
  return n;
}

/** Typed arrays {@link createTensor} accepts. */
export type TensorInput = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | number[];

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * Creates a tensor from values in the element type's natural JS form: numbers for float/int types
 * (converted to float16/bfloat16 bits, packed to int4 as needed), bigint arrays for 64-bit ints.
 *
 * @example
 * createTensor('b', DataType.FLOAT16, [2], [0.5, 1]);
 * createTensor('shape', DataType.INT64, [2], [1, -1]);
 */
export function createTensor(name: string, dataType: DataType, dims: readonly number[], values: TensorInput): Tensor {
  const count = elementCount(dims, { field: `tensor '${name}'.dims` });
  if (values.length !== count) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `tensor '${name}' has dims [${dims.join(', ')}] (${count} elements) but ${values.length} values`,
      { field: 'values' },
    );
  }
  const at = (i: number): number => Number(values[i]);
  let raw: Uint8Array;
  switch (dataType) {
    case DataType.FLOAT:
      raw = bytesOf(values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>, Number));
      break;
    case DataType.DOUBLE:
      raw = bytesOf(values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>, Number));
      break;
    case DataType.INT8:
      raw = bytesOf(values instanceof Int8Array ? values : Int8Array.from(values as ArrayLike<number>, Number));
      break;
    case DataType.UINT8:
    case DataType.BOOL:
      raw = values instanceof Uint8Array ? values : Uint8Array.from(values as ArrayLike<number>, Number);
      break;
    case DataType.INT16:
      raw = bytesOf(values instanceof Int16Array ? values : Int16Array.from(values as ArrayLike<number>, Number));
      break;
    case DataType.UINT16:
      raw = bytesOf(values instanceof Uint16Array ? values : Uint16Array.from(values as ArrayLike<number>, Number));
      break;
    case DataType.INT32:
      raw = bytesOf(values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>, Number));
      break;
    case DataType.UINT32:
      raw = bytesOf(values instanceof Uint32Array ? values : Uint32Array.from(values as ArrayLike<number>, Number));
      break;
    case DataType.INT64:
      raw = bytesOf(values instanceof BigInt64Array ? values : BigInt64Array.from(values as ArrayLike<number | bigint>, (v) => BigInt(v)));
      break;
    case DataType.UINT64:
      raw = bytesOf(values instanceof BigUint64Array ? values : BigUint64Array.from(values as ArrayLike<number | bigint>, (v) => BigInt(v)));
      break;
    case DataType.FLOAT16: {
      const half = new Uint16Array(count);
      for (let i = 0; i < count; i++) half[i] = float32ToFloat16Bits(at(i));
      raw = bytesOf(half);
      break;
    }
    case DataType.BFLOAT16: {
      const half = new Uint16Array(count);
      for (let i = 0; i < count; i++) half[i] = float32ToBfloat16Bits(at(i));
      raw = bytesOf(half);
      break;
    }
    case DataType.INT4:
    case DataType.UINT4:
      raw = packInt4(values as ArrayLike<number>, dataType === DataType.INT4);
      break;
    default:
      throw new MetacompressError(ErrorCodes.UNSUPPORTED_DTYPE, `cannot create a ${dataTypeName(dataType)} tensor from numbers`, {
        field: `tensor '${name}'.dataType`,
      });
  }
  return { name, dataType, dims: [...dims], raw: raw.byteOffset % 8 === 0 ? raw : raw.slice() };
}

/**
 * Packs 4-bit values two per byte, low nibble first (the ONNX layout); values are clamped.
 *
 * @example
 * packInt4([1, -1], true); // Uint8Array [0xf1]
 */
export function packInt4(values: ArrayLike<number>, signed: boolean): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  const lo = signed ? -8 : 0;
  const hi = signed ? 7 : 15;
  for (let i = 0; i < values.length; i++) {
    const v = Math.min(hi, Math.max(lo, Math.round(values[i]))) & 0xf;
    out[i >> 1] |= i & 1 ? v << 4 : v;
  }
  return out;
}

/**
 * Unpacks `count` 4-bit values (low nibble first).
 *
 * @example
 * unpackInt4(new Uint8Array([0xf1]), 2, true); // Int8Array [1, -1]
 */
export function unpackInt4(bytes: Uint8Array, count: number, signed: boolean): Int8Array {
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    const nib = (bytes[i >> 1] >> ((i & 1) * 4)) & 0xf;
    out[i] = signed && nib > 7 ? nib - 16 : nib;
  }
  return out;
}

function requireRaw(t: Tensor): Uint8Array {
  if (!t.raw) {
    throw new MetacompressError(ErrorCodes.UNSUPPORTED_DTYPE, `tensor '${t.name}' (${dataTypeName(t.dataType)}) has no numeric data`, {
      field: `tensor '${t.name}'`,
    });
  }
  const count = elementCount(t.dims, { field: `tensor '${t.name}'.dims` });
  const need = byteLengthOf(t.dataType, count);
  if (need !== undefined && t.raw.byteLength !== need) {
    throw new MetacompressError(
      ErrorCodes.MODEL_INVALID,
      `tensor '${t.name}' has ${t.raw.byteLength} bytes of data but dims [${t.dims.join(', ')}] of ${dataTypeName(t.dataType)} need ${need}`,
      { field: `tensor '${t.name}'.raw_data` },
    );
  }
  return t.raw;
}

function typedView<T>(raw: Uint8Array, bytesPerElement: number, make: (buffer: ArrayBuffer, offset: number, length: number) => T): T {
  const length = raw.byteLength / bytesPerElement;
  if (raw.byteOffset % bytesPerElement === 0) return make(raw.buffer as ArrayBuffer, raw.byteOffset, length);
  const copy = raw.slice();
  return make(copy.buffer, 0, length);
}

/**
 * The elements of a numeric tensor as float32 (a view when the bytes are float32 and aligned,
 * otherwise a converted copy). Do not mutate the result.
 *
 * @example
 * toFloat32(createTensor('x', DataType.INT8, [2], [-1, 3])); // Float32Array [-1, 3]
 */
export function toFloat32(t: Tensor): Float32Array {
  const raw = requireRaw(t);
  const count = elementCount(t.dims);
  switch (t.dataType) {
    case DataType.FLOAT:
      return typedView(raw, 4, (b, o, n) => new Float32Array(b, o, n));
    case DataType.FLOAT16: {
      const bits = typedView(raw, 2, (b, o, n) => new Uint16Array(b, o, n));
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = float16BitsToFloat32(bits[i]);
      return out;
    }
    case DataType.BFLOAT16: {
      const bits = typedView(raw, 2, (b, o, n) => new Uint16Array(b, o, n));
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = bfloat16BitsToFloat32(bits[i]);
      return out;
    }
    case DataType.INT4:
    case DataType.UINT4:
      return Float32Array.from(unpackInt4(raw, count, t.dataType === DataType.INT4));
    default: {
      const values = toNumbers(t);
      return values instanceof Float32Array ? values : Float32Array.from(values, Number);
    }
  }
}

/**
 * The elements of a tensor in their natural typed array (Int8Array for int8, BigInt64Array for int64,
 * Uint16Array bits for float16/bfloat16, Int8Array unpacked for int4/uint4, Uint8Array for bool).
 *
 * @example
 * toTypedArray(createTensor('s', DataType.INT64, [2], [1, -1])); // BigInt64Array [1n, -1n]
 */
export function toTypedArray(t: Tensor): Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array {
  const raw = requireRaw(t);
  switch (t.dataType) {
    case DataType.FLOAT:
      return typedView(raw, 4, (b, o, n) => new Float32Array(b, o, n));
    case DataType.DOUBLE:
      return typedView(raw, 8, (b, o, n) => new Float64Array(b, o, n));
    case DataType.INT8:
      return new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    case DataType.UINT8:
    case DataType.BOOL:
      return raw;
    case DataType.INT16:
      return typedView(raw, 2, (b, o, n) => new Int16Array(b, o, n));
    case DataType.UINT16:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      return typedView(raw, 2, (b, o, n) => new Uint16Array(b, o, n));
    case DataType.INT32:
      return typedView(raw, 4, (b, o, n) => new Int32Array(b, o, n));
    case DataType.UINT32:
      return typedView(raw, 4, (b, o, n) => new Uint32Array(b, o, n));
    case DataType.INT64:
      return typedView(raw, 8, (b, o, n) => new BigInt64Array(b, o, n));
    case DataType.UINT64:
      return typedView(raw, 8, (b, o, n) => new BigUint64Array(b, o, n));
    case DataType.INT4:
    case DataType.UINT4:
      return unpackInt4(raw, elementCount(t.dims), t.dataType === DataType.INT4);
    default:
      throw new MetacompressError(ErrorCodes.UNSUPPORTED_DTYPE, `cannot read ${dataTypeName(t.dataType)} tensor '${t.name}' as numbers`, {
        field: `tensor '${t.name}'.dataType`,
      });
  }
}

/**
 * The elements of an integer or float tensor as JS numbers (int64 converted; values beyond 2^53 lose precision).
 *
 * @example
 * toNumbers(createTensor('axes', DataType.INT64, [2], [0, 2])); // [0, 2]
 */
export function toNumbers(t: Tensor): Float32Array | number[] {
  if (t.dataType === DataType.FLOAT) return toFloat32(t);
  if (t.dataType === DataType.FLOAT16 || t.dataType === DataType.BFLOAT16) return toFloat32(t);
  const typed = toTypedArray(t);
  return Array.from(typed as ArrayLike<number | bigint>, Number);
}

/**
 * A copy of a tensor with new dims and float32 values (the usual result of a weight rewrite).
 *
 * @example
 * const smaller = withFloat32(weight, [8, 3, 3, 3], values);
 */
export function withFloat32(t: Tensor, dims: readonly number[], values: Float32Array, name = t.name): Tensor {
  const { external: _external, raw: _raw, strings: _strings, ...rest } = t;
  return { ...rest, ...createTensor(name, DataType.FLOAT, dims, values) };
}

/**
 * Element count of a tensor (dims product).
 *
 * @example
 * tensorSize(w); // 864
 */
export function tensorSize(t: Tensor): number {
  return sizeOf(t.dims);
}
