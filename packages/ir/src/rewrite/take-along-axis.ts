import { ErrorCodes, MetacompressError } from '@metacompress/core';
import { bitsOf, DataType, dataTypeName } from '../dtype';
import { packInt4, unpackInt4, type Tensor } from '../tensor';

/**
 * A copy of a tensor keeping only the given indices along one axis, in the given order, for any
 * element type (bytes are copied as they are; 4-bit types are unpacked and repacked).
 *
 * @example
 * // keep output channels 0 and 2 of a [4, 3, 3, 3] conv weight
 * takeAlongAxis(weight, 0, [0, 2]).dims; // [2, 3, 3, 3]
 */
export function takeAlongAxis(tensor: Tensor, axis: number, indices: readonly number[]): Tensor {
  const dims = tensor.dims;
  if (axis < 0 || axis >= dims.length) {
    throw new MetacompressError(
      ErrorCodes.INVALID_ARGUMENT,
      `tensor '${tensor.name}' of rank ${dims.length} has no axis ${axis}`,
      {
        field: `tensor '${tensor.name}'`,
      },
    );
  }
  const d = dims[axis];
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= d) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `index ${i} is outside axis ${axis} (size ${d}) of tensor '${tensor.name}'`,
        {
          field: `tensor '${tensor.name}'`,
        },
      );
    }
  }
  let outer = 1;
  for (let i = 0; i < axis; i++) outer *= dims[i];
  let inner = 1;
  for (let i = axis + 1; i < dims.length; i++) inner *= dims[i];
  const newDims = dims.map((n, i) => (i === axis ? indices.length : n));
  const { external: _external, raw: _raw, strings: _strings, ...rest } = tensor;

  if (tensor.dataType === DataType.STRING) {
    const src = tensor.strings ?? [];
    const out: Uint8Array[] = [];
    for (let o = 0; o < outer; o++)
      for (const idx of indices) for (let k = 0; k < inner; k++) out.push(src[(o * d + idx) * inner + k]);
    return { ...rest, dims: newDims, strings: out };
  }
  const raw = tensor.raw;
  if (!raw) {
    throw new MetacompressError(
      ErrorCodes.MODEL_INVALID,
      `tensor '${tensor.name}' has no data loaded (external data not read?)`,
      {
        field: `tensor '${tensor.name}'`,
      },
    );
  }
  const bits = bitsOf(tensor.dataType);
  if (bits === undefined) {
    throw new MetacompressError(
      ErrorCodes.UNSUPPORTED_DTYPE,
      `cannot slice a ${dataTypeName(tensor.dataType)} tensor`,
      { field: `tensor '${tensor.name}'` },
    );
  }
  if (bits === 4) {
    const signed = tensor.dataType === DataType.INT4;
    const values = unpackInt4(raw, outer * d * inner, signed);
    const out = new Int8Array(outer * indices.length * inner);
    let at = 0;
    for (let o = 0; o < outer; o++) {
      for (const idx of indices) {
        const from = (o * d + idx) * inner;
        out.set(values.subarray(from, from + inner), at);
        at += inner;
      }
    }
    return { ...rest, dims: newDims, raw: packInt4(out, signed) };
  }
  const bpe = bits / 8;
  const block = inner * bpe;
  const out = new Uint8Array(outer * indices.length * block);
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const idx of indices) {
      const from = (o * d + idx) * block;
      out.set(raw.subarray(from, from + block), at);
      at += block;
    }
  }
  return { ...rest, dims: newDims, raw: out };
}
