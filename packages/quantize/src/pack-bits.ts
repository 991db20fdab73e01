import { ErrorCodes, MetacompressError } from '@metacompress/core';

/** Bit widths {@link packCodes} can pack (8 / bits codes per byte). */
export type PackedBits = 1 | 2 | 4;

function check(bits: number): asserts bits is PackedBits {
  if (bits !== 1 && bits !== 2 && bits !== 4) {
    throw new MetacompressError(
      ErrorCodes.UNSUPPORTED_BITS,
      `cannot pack ${bits}-bit codes (1, 2 or 4 bits)`,
      { field: 'bits' },
    );
  }
}

/**
 * Packs unsigned codes of `bits` bits into bytes, *plane-major*: with `M = ceil(n · bits / 8)`
 * bytes, code `i` sits in byte `i mod M` at bit `bits · floor(i / M)`. This layout unpacks with
 * whole-tensor ops (one broadcast BitShift, one Mod, one Reshape), which every ONNX runtime has
 * from opset 11 and folds away at load time.
 *
 * @example
 * packCodes([1, 2, 3, 0], 2); // Uint8Array [0b00_11_10_01]
 */
export function packCodes(codes: ArrayLike<number>, bits: number): Uint8Array {
  check(bits);
  const perByte = 8 / bits;
  const m = Math.ceil(codes.length / perByte);
  const out = new Uint8Array(m);
  const max = 2 ** bits - 1;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (!Number.isInteger(c) || c < 0 || c > max) {
      throw new MetacompressError(
        ErrorCodes.INVALID_ARGUMENT,
        `code ${c} at ${i} does not fit ${bits} unsigned bits`,
        { field: 'codes' },
      );
    }
    out[i % m] |= c << (bits * Math.floor(i / m));
  }
  return out;
}

/**
 * Unpacks `count` codes packed by {@link packCodes}.
 *
 * @example
 * unpackCodes(packCodes([1, 2, 3], 2), 3, 2); // Uint8Array [1, 2, 3]
 */
export function unpackCodes(bytes: Uint8Array, count: number, bits: number): Uint8Array {
  check(bits);
  const m = bytes.length;
  const perByte = 8 / bits;
  if (m * perByte < count) {
    throw new MetacompressError(
      ErrorCodes.SHAPE_MISMATCH,
      `${m} bytes hold ${m * perByte} ${bits}-bit codes, not ${count}`,
      { field: 'bytes' },
    );
  }
  const out = new Uint8Array(count);
  const mask = 2 ** bits - 1;
  for (let i = 0; i < count; i++) out[i] = (bytes[i % m] >> (bits * Math.floor(i / m))) & mask;
  return out;
}
