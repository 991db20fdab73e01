import type { DenseTensor, TensorValues } from '@metacompress/core';
import { ErrorCodes, MetacompressError, sizeOf } from '@metacompress/core';
import { float16BitsToFloat32, float32ToFloat16Bits } from '@metacompress/ir';
import type { OrtModule, OrtTensor } from './ort-module';

/** onnxruntime's element type names (`Tensor.Type`). */
export type OrtElementType = OrtTensor['type'];

type NumericArray = Exclude<TensorValues, BigInt64Array>;

/**
 * The onnxruntime element type a dense tensor's typed array maps to.
 *
 * @example
 * ortTypeOf(new Float32Array(4)); // 'float32'
 * ortTypeOf(new BigInt64Array(2)); // 'int64'
 */
export function ortTypeOf(data: TensorValues): OrtElementType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint32Array) return 'uint32';
  throw new MetacompressError(ErrorCodes.UNSUPPORTED_DTYPE, `unsupported typed array ${(data as object).constructor?.name}`, {});
}

function convert(data: TensorValues, to: OrtElementType, input: string): TensorValues {
  const from = ortTypeOf(data);
  const fail = (): never => {
    throw new MetacompressError(ErrorCodes.UNSUPPORTED_DTYPE, `input '${input}' expects ${to}; cannot convert ${from} values to it`, {
      field: input,
    });
  };
  if (to === 'int64') {
    return BigInt64Array.from(data as NumericArray, (v) => {
      if (!Number.isFinite(v)) fail();
      return BigInt(Math.trunc(v));
    });
  }
  const numbers: ArrayLike<number> =
    data instanceof BigInt64Array ? Array.from(data, (v) => Number(v)) : (data as NumericArray);
  switch (to) {
    case 'float32':
      return Float32Array.from(numbers);
    case 'float64':
      return Float64Array.from(numbers);
    case 'int32':
      return Int32Array.from(numbers);
    case 'int8':
      return Int8Array.from(numbers);
    case 'uint8':
      return Uint8Array.from(numbers);
    case 'bool':
      return Uint8Array.from(numbers, (v) => (v ? 1 : 0));
    case 'int16':
      return Int16Array.from(numbers);
    case 'uint16':
      return Uint16Array.from(numbers);
    case 'uint32':
      return Uint32Array.from(numbers);
    case 'float16':
      return Uint16Array.from(numbers, (v) => float32ToFloat16Bits(v));
    default:
      return fail();
  }
}

/**
 * Wraps a dense tensor as an onnxruntime tensor of the element type the model expects, converting
 * values when the typed array differs (a `Uint16Array` fed to a float16 input is taken as float16
 * bits; a `Uint8Array` fed to a bool input as booleans). Throws `MC_SHAPE_MISMATCH` when the data
 * length does not match the dims, and `MC_UNSUPPORTED_DTYPE` when no conversion exists.
 *
 * @example
 * const t = toOrtTensor(ort, { dims: [1, 4], data: new Int32Array(4) }, 'int64', 'ids'); // int64 tensor
 */
export function toOrtTensor(ort: OrtModule, tensor: DenseTensor, expected: OrtElementType | undefined, input: string): OrtTensor {
  const dims = [...tensor.dims];
  if (!dims.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new MetacompressError(ErrorCodes.SHAPE_MISMATCH, `feed '${input}' has invalid dims [${dims.join(', ')}]`, { field: input });
  }
  const count = sizeOf(dims);
  if (tensor.data.length !== count) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `feed '${input}' has dims [${dims.join(', ')}] (${count} elements) but ${tensor.data.length} values`,
      { field: input },
    );
  }
  const natural = ortTypeOf(tensor.data);
  let type: OrtElementType = natural;
  let data = tensor.data;
  if (expected && expected !== natural) {
    const passBits = (expected === 'float16' && natural === 'uint16') || (expected === 'bool' && natural === 'uint8');
    if (!passBits) data = convert(tensor.data, expected, input);
    type = expected;
  }
  return new ort.Tensor(type as 'float32', data as Float32Array, dims);
}

/**
 * Copies an onnxruntime tensor into a {@link DenseTensor}. float16 outputs become `Float32Array`,
 * bool outputs `Uint8Array`, int64 outputs `BigInt64Array`; strings and 64-bit unsigned or 4-bit
 * outputs throw `MC_UNSUPPORTED_DTYPE` naming the output.
 *
 * @example
 * const out = fromOrtTensor(result.logits, 'logits'); // { dims: [1, 10], data: Float32Array }
 */
export function fromOrtTensor(tensor: OrtTensor, name: string): DenseTensor {
  const dims = [...tensor.dims];
  const data = tensor.data as unknown;
  switch (tensor.type) {
    case 'float16': {
      const values = data as ArrayLike<number>;
      const out = new Float32Array(values.length);
      const bits = data instanceof Uint16Array;
      for (let i = 0; i < out.length; i++) out[i] = bits ? float16BitsToFloat32(values[i]) : values[i];
      return { dims, data: out };
    }
    case 'float32':
    case 'float64':
    case 'int32':
    case 'int8':
    case 'uint8':
    case 'bool':
    case 'int16':
    case 'uint16':
    case 'uint32':
    case 'int64':
      return { dims, data: data as TensorValues };
    default:
      throw new MetacompressError(ErrorCodes.UNSUPPORTED_DTYPE, `output '${name}' has element type ${tensor.type}, which dense tensors cannot hold`, {
        field: name,
      });
  }
}
