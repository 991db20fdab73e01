import { describe, expect, it } from 'vitest';
import { packCodes, unpackCodes } from './pack-bits';
import { thrownBy } from './test-helpers';

describe('packCodes / unpackCodes', () => {
  it('round-trips 1-, 2- and 4-bit codes of any length', () => {
    for (const bits of [1, 2, 4]) {
      for (const n of [1, 7, 8, 9, 33]) {
        const codes = Array.from({ length: n }, (_, i) => (i * 7 + 3) % 2 ** bits);
        const packed = packCodes(codes, bits);
        expect(packed.length).toBe(Math.ceil((n * bits) / 8));
        expect(Array.from(unpackCodes(packed, n, bits))).toEqual(codes);
      }
    }
  });

  it('lays codes out plane-major: code i in byte i mod M', () => {
    expect(Array.from(packCodes([1, 2, 3, 0], 2))).toEqual([0b00_11_10_01]);
    // 2 bytes, 4 planes of 2 bits: codes 0..7 → byte 0 holds 0,2,4,6 and byte 1 holds 1,3,5,7 (mod 4).
    const p = packCodes([0, 1, 2, 3, 0, 1, 2, 3], 2);
    expect(Array.from(p)).toEqual([0 | (2 << 2) | (0 << 4) | (2 << 6), 1 | (3 << 2) | (1 << 4) | (3 << 6)]);
  });

  it('rejects codes that do not fit and unsupported widths', () => {
    expect(thrownBy(() => packCodes([16], 4)).code).toBe('MC_INVALID_ARGUMENT');
    expect(thrownBy(() => packCodes([1], 3)).code).toBe('MC_UNSUPPORTED_BITS');
    expect(thrownBy(() => unpackCodes(new Uint8Array(1), 3, 4)).code).toBe('MC_SHAPE_MISMATCH');
  });
});
